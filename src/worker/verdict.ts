// Judging one reading and saying so: the violations, the failure message, the annotation.
import { checkBudget } from '../shared/budget.ts'
import { formatBytes, formatDelta } from '../shared/size.ts'
import type { BudgetViolation, Diagnosis, GrowthEntry, ResolvedBudget, TestMemory } from '../types.ts'

/**
 * How the heap figure of a failure message was read: "after GC" only when a full GC preceded the
 * end reading (a bounded reading's range follows the violation: "measured between ... and ...").
 */
function heapText(m: Pick<TestMemory, 'retained' | 'precision'>): string {
  if (m.precision === 'exact' || m.precision === 'bounded') return `heap ${formatDelta(m.retained)} after GC`
  if (m.precision === 'shared') return `heap ~${formatDelta(m.retained)} shared with concurrent tests`
  return `heap ≤${formatDelta(m.retained)} without a full GC`
}

/** What grew, for a failure message: `heap +3.2 MB after GC, peak +5 MB, external +0 B, RSS peak +4 MB; left open: 1 Timeout`. */
export function describeGrowth(m: Pick<TestMemory, 'retained' | 'precision' | 'peakHeap' | 'heapBefore' | 'externalAfter' | 'externalBefore' | 'rssPeak' | 'rssBefore' | 'handlesLeft'>): string {
  const parts = [
    heapText(m),
    `peak ${formatDelta(m.peakHeap - m.heapBefore)}`,
    `external ${formatDelta(m.externalAfter - m.externalBefore)}`,
    `RSS peak ${formatDelta(m.rssPeak - m.rssBefore)}`,
  ]
  const left = Object.entries(m.handlesLeft ?? {}).map(([type, n]) => `${n} ${type}`)
  return `${parts.join(', ')}${left.length ? `; left open: ${left.join(', ')}` : ''}`
}

/** `Array +1,000 (+8 MB), (string) +2,000 (+120 kB)` */
export function describeKinds(grew: GrowthEntry[], top = 3): string {
  return grew.slice(0, top).map((g) => `${g.kind} ${g.count >= 0 ? '+' : ''}${g.count.toLocaleString('en-US')} (${formatDelta(g.bytes)})`).join(', ')
}

export function failureMessage(violations: BudgetViolation[], growth: string, extra = ''): string {
  return `${violations.map((v) => v.message).join('; ')}${extra}\n  what grew: ${growth}`
}

/** The budget violations of a single-pass test reading. */
export function testViolations(memory: TestMemory, budget: ResolvedBudget): BudgetViolation[] {
  return checkBudget({
    retained: memory.retained,
    peak: memory.peakHeap - memory.heapBefore,
    rss: memory.rssPeak - memory.rssBefore,
    external: memory.externalAfter - memory.externalBefore,
    handles: memory.handlesLeft,
  }, budget)
}

/** The MemoryBudgetError message of a test that failed its memory verdict. */
export function testFailureMessage(memory: TestMemory): string {
  const low = formatDelta(memory.retained)
  const high = memory.retainedMax === undefined ? low : formatDelta(memory.retainedMax)
  const bound = high === low ? '' : ` (measured between ${low} and ${high})`
  const kinds = memory.repeat?.grew?.length ? `\n  object kinds that grew in the last run: ${describeKinds(memory.repeat.grew)}` : ''
  const skipped = memory.repeat?.whatGrewSkipped ? `\n  what grew: not analysed (${memory.repeat.whatGrewSkipped})` : ''
  const snapshots = memory.repeat?.snapshots ? `\n  heap snapshots: ${memory.repeat.snapshots.before}, ${memory.repeat.snapshots.after}` : ''
  return failureMessage(memory.violations!, describeGrowth(memory), bound) + kinds + skipped + snapshots + describeDiagnosis(memory.diagnosis)
}

/**
 * The short form of a diagnosis, for the failure message: two allocation sites, one retainer path.
 * `allocated at: src/log.ts:12:3 add (1.2 MB), log.test.ts:8:42 (anonymous) (300 kB)` and
 * `held by: module src/log.ts > buffer (LineBuffer) > lines (Array) (1.5 MB)`
 */
export function describeDiagnosis(d: Diagnosis | undefined): string {
  if (!d) return ''
  const lines: string[] = []
  if (d.sites.length) lines.push(`allocated at: ${d.sites.slice(0, 2).map((s) => `${s.file}:${s.line}:${s.column} ${s.function} (${formatBytes(s.bytes)})`).join(', ')}`)
  if (d.paths.length) {
    const p = d.paths[0]!
    const grew = p.bytesBefore === undefined ? '' : `, ${formatDelta(p.bytes - p.bytesBefore)} since the last diagnosis`
    lines.push(`held by: ${p.path} (${formatBytes(p.bytes)}${grew})`)
  }
  if (d.skipped) lines.push(`diagnosis incomplete: ${d.skipped}`)
  return lines.map((l) => `\n  ${l}`).join('')
}

/**
 * Put a flagged test's memory verdict where Vitest's UI and HTML reporter show per-test
 * information: a test annotation (type `vitest-memory`). `annotate()` refuses once the test has a
 * result, and onTestFinished runs after that, so the check is lifted for the synchronous call.
 */
export async function annotateVerdict(task: { result?: { state?: string } }, annotate: ((message: string, type?: string) => Promise<unknown>) | undefined, memory: TestMemory): Promise<void> {
  if ((memory.verdict !== 'fail' && memory.verdict !== 'warn') || typeof annotate !== 'function') return
  const result = task.result
  const state = result?.state
  try {
    if (result) result.state = 'run'
    // Vitest looks for the test file in a new Error's stack to place the annotation; called from
    // this hook it never finds it, and formatting that stack kept ~1.5 MB (source maps, parsed
    // frames) in the worker, counted in the file's figures. No frames: nothing to format.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    let done: Promise<unknown>
    try {
      done = annotate(`memory ${memory.verdict}: ${(memory.violations ?? []).map((v) => v.message).join('; ')}`, 'vitest-memory')
    } finally {
      Error.stackTraceLimit = limit
    }
    if (result) result.state = state
    await done
  } catch {
    // An older runner without annotations: the report and the error still say it.
  } finally {
    if (result) result.state = state
  }
}
