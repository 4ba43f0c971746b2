// Options of the run-level outputs: the committed baseline, the HTML report, the Markdown
// summary and GitHub Actions integration. Validated with the rest in options.ts.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseSize, type Size } from '../shared/size.ts'
import type { BaselineTolerance } from '../reporters/json.ts'
import type { BudgetMode } from '../types.ts'
import { UPDATE_ENV, type BaselineUpdate } from './baseline.ts'

/** Default baseline file, relative to the root. Commit it. */
export const DEFAULT_BASELINE_FILE = 'vitest-memory.baseline.json'
export const DEFAULT_HTML_FILE = '.vitest-memory/report.html'
export const DEFAULT_MARKDOWN_FILE = '.vitest-memory/summary.md'
/**
 * Default tolerances, from bench/baseline-noise.mjs (360 tests; results in
 * bench/results/baseline-noise.json). Between identical runs on a loaded machine, a test's retained
 * moved by up to 517 kB on Node 20 (V8's ~200-250 kB jumps, in either direction) and 17% for tests
 * retaining over 1 MB (123 kB and 4% on Node 22); peak above start by up to 1.06 MB and 20%. The
 * defaults are about twice the Node 20 figures, so unchanged tests do not flag; a change counts
 * only when it exceeds both the relative and the absolute tolerance.
 */
export const DEFAULT_TOLERANCE: BaselineTolerance = {
  retained: { relative: 0.3, absolute: 1_000_000 },
  peak: { relative: 0.4, absolute: 2_000_000 },
}

/** How much a reading may move from its baseline before it counts. Both must be exceeded. */
export interface ToleranceInput {
  /** Fraction of the baseline value: `0.2` or `'20%'`. */
  relative?: number | string
  /** Size: bytes or a string like `'500 kB'`. */
  absolute?: Size
}

export interface BaselineInput {
  /** The baseline file, relative to the root. Commit it. @default 'vitest-memory.baseline.json' */
  file?: string
  /**
   * Write the baseline from this run instead of only comparing: `true` (or `'changed'`) rewrites the
   * tests that moved beyond the tolerance and adds new ones, removes gone ones, and leaves the rest
   * untouched; `'all'` rewrites every value. Usually set for one run through the environment:
   * `VITEST_MEMORY_UPDATE_BASELINE=1 vitest run` (or `=all`). Never happens otherwise.
   * @default false
   */
  update?: boolean | 'changed' | 'all'
  /** What a regression does: `fail` the run (exit code 1), `warn` (reported only), or `off` (no comparison). @default 'fail' */
  mode?: BudgetMode
  /**
   * A test or file regressed when its retained (or peak) grew by more than the absolute AND the
   * relative tolerance; improvements likewise. Defaults from measured run-to-run noise, see docs/baseline.md.
   * @default { retained: { relative: 0.3, absolute: '1 MB' }, peak: { relative: 0.4, absolute: '2 MB' } }
   */
  tolerance?: { retained?: ToleranceInput; peak?: ToleranceInput }
}

export interface ReportOptionsInput {
  /**
   * Compare every run with a committed baseline file (missing file: a notice, nothing fails).
   * `false` turns comparison and updates off. See docs/baseline.md.
   * @default { file: 'vitest-memory.baseline.json', mode: 'fail' }
   */
  baseline?: BaselineInput | boolean
  /** The self-contained HTML report, relative to the root; `false` for none. @default '.vitest-memory/report.html' */
  html?: string | false
  /** A Markdown summary for CI (any CI: post it as a comment, attach it...), relative to the root; `false` for none. @default '.vitest-memory/summary.md' */
  markdown?: string | false
  /**
   * GitHub Actions: `::error`/`::warning` annotations at each over-budget or regressed test, and the
   * Markdown summary appended to `$GITHUB_STEP_SUMMARY`.
   * @default true when GITHUB_ACTIONS=true
   */
  githubActions?: boolean
}

export interface ResolvedBaseline {
  /** Whether `baseline` was set in the options (the terminal mentions a missing file only then). */
  explicit: boolean
  file: string
  update: BaselineUpdate
  mode: BudgetMode
  tolerance: BaselineTolerance
}

export interface ResolvedReportOptions {
  /** `false`: no comparison, no update. */
  baseline: ResolvedBaseline | false
  html: string | false
  markdown: string | false
  githubActions: boolean
}

export const REPORT_OPTION_KEYS = ['baseline', 'html', 'markdown', 'githubActions'] as const
const BASELINE_KEYS = ['file', 'update', 'mode', 'tolerance'] as const
const TOLERANCE_KEYS = ['retained', 'peak'] as const
const METRIC_TOLERANCE_KEYS = ['relative', 'absolute'] as const

export interface OptionHelpers {
  add(problem: string): void
  /** Report keys of `value` not in `known`, with a suggestion. */
  checkKeys(value: Record<string, unknown>, known: readonly string[], where: string): void
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function relativeTolerance(value: unknown, name: string, fallback: number, h: OptionHelpers): number {
  if (value === undefined) return fallback
  let n = NaN
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(value)) n = Number.parseFloat(value) / 100
  if (Number.isFinite(n) && n >= 0) return n
  h.add(`${name} must be a fraction of the baseline value like 0.2, or a percentage like '20%', got ${JSON.stringify(value)}`)
  return fallback
}

function absoluteTolerance(value: unknown, name: string, fallback: number, h: OptionHelpers): number {
  if (value === undefined) return fallback
  try {
    return parseSize(value, name)
  } catch (error) {
    h.add((error as Error).message)
    return fallback
  }
}

function outputPath(value: unknown, name: string, fallback: string, extension: string, h: OptionHelpers): string | false {
  if (value === false) return false
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.trim() === '') {
    h.add(`${name} must be a path relative to the project root (or absolute), or false for none; got ${JSON.stringify(value)}`)
    return fallback
  }
  if (!value.endsWith(extension)) h.add(`${name} must end in ${extension}, got ${JSON.stringify(value)}`)
  return value
}

function resolveUpdate(value: unknown, env: Record<string, string | undefined>, h: OptionHelpers): BaselineUpdate {
  const fromEnv = env[UPDATE_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    const v = fromEnv.trim().toLowerCase()
    if (['1', 'true', 'yes', 'changed'].includes(v)) return 'changed'
    if (v === 'all') return 'all'
    if (['0', 'false', 'no'].includes(v)) return false
    h.add(`${UPDATE_ENV} (environment) must be 1 (update the tests that changed) or all (rewrite every value), got ${JSON.stringify(fromEnv)}`)
    return false
  }
  if (value === undefined || value === false) return false
  if (value === true || value === 'changed') return 'changed'
  if (value === 'all') return 'all'
  h.add(`baseline.update must be true, 'changed', 'all' or false, got ${JSON.stringify(value)}. For one run, prefer ${UPDATE_ENV}=1 in the environment.`)
  return false
}

function resolveBaseline(value: unknown, env: Record<string, string | undefined>, h: OptionHelpers): ResolvedBaseline | false {
  if (value === false) return false
  const raw = value === undefined || value === true ? {} : value
  if (!isPlainObject(raw)) {
    h.add(`baseline must be an object like { file: 'vitest-memory.baseline.json', mode: 'warn' }, or false; got ${JSON.stringify(value)}`)
    return false
  }
  h.checkKeys(raw, BASELINE_KEYS, 'baseline.')
  let file = DEFAULT_BASELINE_FILE
  if (raw.file !== undefined) {
    if (typeof raw.file === 'string' && raw.file.trim() !== '' && raw.file.endsWith('.json')) file = raw.file
    else h.add(`baseline.file must be a path ending in .json, relative to the project root (or absolute); got ${JSON.stringify(raw.file)}`)
  }
  let mode: BudgetMode = 'fail'
  if (raw.mode !== undefined) {
    if (raw.mode === 'fail' || raw.mode === 'warn' || raw.mode === 'off') mode = raw.mode
    else h.add(`baseline.mode must be one of 'fail', 'warn', 'off', got ${JSON.stringify(raw.mode)}`)
  }
  const tolerance: BaselineTolerance = { retained: { ...DEFAULT_TOLERANCE.retained }, peak: { ...DEFAULT_TOLERANCE.peak } }
  if (raw.tolerance !== undefined) {
    if (!isPlainObject(raw.tolerance)) {
      h.add(`baseline.tolerance must be an object like { retained: { relative: '20%', absolute: '500 kB' } }, got ${JSON.stringify(raw.tolerance)}`)
    } else {
      h.checkKeys(raw.tolerance, TOLERANCE_KEYS, 'baseline.tolerance.')
      for (const metric of TOLERANCE_KEYS) {
        const t = raw.tolerance[metric]
        if (t === undefined) continue
        const name = `baseline.tolerance.${metric}`
        if (!isPlainObject(t)) {
          h.add(`${name} must be an object like { relative: '20%', absolute: '500 kB' }, got ${JSON.stringify(t)}`)
          continue
        }
        h.checkKeys(t, METRIC_TOLERANCE_KEYS, `${name}.`)
        tolerance[metric] = {
          relative: relativeTolerance(t.relative, `${name}.relative`, DEFAULT_TOLERANCE[metric].relative, h),
          absolute: absoluteTolerance(t.absolute, `${name}.absolute`, DEFAULT_TOLERANCE[metric].absolute, h),
        }
      }
    }
  }
  return { explicit: value !== undefined, file, update: resolveUpdate(raw.update, env, h), mode, tolerance }
}

/** Validate the output options of `input` (the whole options object) and fill in defaults. */
export function resolveReportOptions(input: Record<string, unknown>, env: Record<string, string | undefined>, h: OptionHelpers): ResolvedReportOptions {
  let githubActions = env.GITHUB_ACTIONS === 'true'
  if (input.githubActions !== undefined) {
    if (typeof input.githubActions === 'boolean') githubActions = input.githubActions
    else h.add(`githubActions must be true or false (default: on when GITHUB_ACTIONS=true), got ${JSON.stringify(input.githubActions)}`)
  }
  return {
    baseline: resolveBaseline(input.baseline, env, h),
    html: outputPath(input.html, 'html', DEFAULT_HTML_FILE, '.html', h),
    markdown: outputPath(input.markdown, 'markdown', DEFAULT_MARKDOWN_FILE, '.md', h),
    githubActions,
  }
}

/**
 * `WorkerOptions.escalateAbove`: when this run compares with (or writes) a baseline, auto mode
 * escalates every reading that could exceed the absolute retained tolerance to a full GC.
 */
export function escalationFor(options: ResolvedReportOptions, root: string): number | undefined {
  const b = options.baseline
  if (b === false || (b.mode === 'off' && !b.update)) return undefined
  if (!b.update && !existsSync(resolve(root, b.file))) return undefined
  // 90%: a cheap reading is taken a few allocations after the escalation check.
  return Math.round(b.tolerance.retained.absolute * 0.9)
}
