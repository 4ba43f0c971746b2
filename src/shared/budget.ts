// Budget resolution and evaluation, shared by workers (per test / per file) and the reporter.
import { createRequire } from 'node:module'
import type { BudgetMode, BudgetViolation, ResolvedBudget, Verdict, WorkerOptions } from '../types.ts'
import { formatBytes } from './size.ts'

export interface EffectiveBudget {
  budget: ResolvedBudget
  fileBudget: ResolvedBudget
  budgetMode: BudgetMode
}

type Picomatch = typeof import('picomatch')
let picomatchModule: Picomatch | undefined
/** picomatch, loaded on first use: workers of projects without globs never pay for it. */
export function glob(): Picomatch {
  return (picomatchModule ??= createRequire(import.meta.url)('picomatch') as Picomatch)
}

/** The budgets for one file: the defaults, then every matching override in order (later wins, key by key). */
export function budgetForFile(relativeFile: string, options: Pick<WorkerOptions, 'budget' | 'fileBudget' | 'budgetMode' | 'overrides'>): EffectiveBudget {
  const result: EffectiveBudget = { budget: { ...options.budget }, fileBudget: { ...options.fileBudget }, budgetMode: options.budgetMode }
  for (const override of options.overrides) {
    if (!glob().isMatch(relativeFile, override.files, { dot: true })) continue
    Object.assign(result.budget, override.budget)
    Object.assign(result.fileBudget, override.fileBudget)
    if (override.budgetMode) result.budgetMode = override.budgetMode
  }
  return result
}

export type Labels = Record<'retained' | 'peak' | 'rss' | 'external', string>

/** How each metric reads in a message; `{v}` is the measured value. */
export const TEST_LABELS: Labels = {
  retained: 'retained {v} after GC',
  peak: 'peak heap {v} above start',
  rss: 'peak RSS {v} above start',
  external: 'external memory {v} after GC',
}
export const FILE_LABELS: Labels = {
  retained: 'file retained {v} after GC',
  peak: 'file peak heap {v} above start',
  rss: 'file peak RSS {v} above start',
  external: 'file external memory {v} after GC',
}
export const WORKER_LABELS: Labels = {
  retained: 'worker heap grew {v} over the run',
  peak: 'worker peak heap {v}',
  rss: 'worker peak RSS {v}',
  external: 'worker external memory {v}',
}

export interface Measured {
  retained: number
  peak: number
  rss: number
  /** External memory growth after GC. */
  external?: number
  /** Handles left open, by type. */
  handles?: Record<string, number>
}

/**
 * Compare measurements with a budget. Messages read like
 * `retained 3.2 MB after GC, budget 1 MB (+220%)`.
 */
export function checkBudget(measured: Measured, budget: ResolvedBudget, labels: Labels = TEST_LABELS): BudgetViolation[] {
  const violations: BudgetViolation[] = []
  for (const metric of ['retained', 'peak', 'rss', 'external'] as const) {
    const limit = budget[metric]
    const actual = measured[metric]
    if (limit === undefined || actual === undefined || actual <= limit) continue
    violations.push({ metric, limit, actual, message: overBudgetMessage(labels[metric].replace('{v}', formatBytes(actual)), actual, limit) })
  }
  const left = Object.entries(measured.handles ?? {})
  const open = left.reduce((n, [, count]) => n + count, 0)
  if (budget.handles !== undefined && open > budget.handles) {
    const what = left.map(([type, count]) => `${count} ${type}`).join(', ')
    violations.push({ metric: 'handles', limit: budget.handles, actual: open, message: `left ${open} handle${open === 1 ? '' : 's'} open (${what}), budget ${budget.handles}` })
  }
  return violations
}

/** `<what>, budget 1 MB (+220%)` */
export function overBudgetMessage(what: string, actual: number, limit: number): string {
  const over = limit > 0 ? `+${Math.round(((actual - limit) / limit) * 100)}%` : `+${formatBytes(actual)}`
  return `${what}, budget ${formatBytes(limit)} (${over})`
}

/** The verdict for a list of violations under a mode. */
export function verdictFor(violations: BudgetViolation[], mode: BudgetMode): Verdict {
  if (mode === 'off') return 'unchecked'
  if (violations.length === 0) return 'pass'
  return mode
}

/** Set `verdict`, and `violations` when there are any and budgets are not off. */
export function judge(target: { verdict: Verdict; violations?: BudgetViolation[] }, violations: BudgetViolation[], mode: BudgetMode): void {
  target.verdict = verdictFor(violations, mode)
  if (violations.length > 0 && mode !== 'off') target.violations = violations
}
