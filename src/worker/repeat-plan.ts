// One repeated test's runs: which run is measured, when to stop, when to snapshot, and the outcome.
// Vitest's own `repeats` does the re-running (set once, before the test starts); this plan decides
// what each run is for. See README "Repetition".
import {
  AMBIGUOUS_LEAK_RATE, CERTAIN_RUN_GROWTH, CERTAIN_RUNS, EXTENSION_RUNS, REPEAT_PILEUP_LIMIT, WARMUP_GROWTH_CUTOFF,
} from '../constants.ts'
import { formatBytes, formatDelta } from '../shared/size.ts'
import type { BudgetViolation, GrowthEntry, LeakSignal, RepeatResult } from '../types.ts'
import { decide, heapRuns, likelyLeak, RSS_SENSITIVITY, type RunDeltas } from './repeat.ts'

/** A reading at the start of a measured run. */
export type Mark = Required<RunDeltas>

/**
 * What one run of a repeated test is: `warm` (unmeasured: warms Vitest's and the harness's code
 * up), `measured` (its start reading is a mark), `idle` (the verdict is in: nothing is measured).
 */
export type RunKind = 'warm' | 'measured' | 'idle'

/** What to do after a mark was added. */
export interface MarkStep {
  /** Take the heap snapshot before (`before`) or after (`after`) the run that follows. */
  snapshot?: 'before' | 'after'
  /** This mark is the last: the run it starts ends the measurement. */
  final: boolean
}

export function deltasOf(marks: Mark[]): RunDeltas[] {
  return marks.slice(1).map((m, i) => ({ heap: m.heap - marks[i]!.heap, external: m.external - marks[i]!.external, rss: m.rss - marks[i]!.rss, code: m.code - marks[i]!.code }))
}

/**
 * Whether the counted runs so far already make a leak certain: at least CERTAIN_RUNS of them, each
 * growing one signal by more than CERTAIN_RUN_GROWTH (RSS: by more than its own sensitivity too).
 * Noise is a few kB per run; growth like this on every run is a leak whatever the remaining runs do.
 */
export function certainLeak(runs: RunDeltas[], warmup: number, sensitivity: number, rssShared = false): boolean {
  const counted = runs.slice(warmup)
  if (counted.length < CERTAIN_RUNS) return false
  const floor = (signal: LeakSignal) => Math.max(CERTAIN_RUN_GROWTH, 30 * sensitivity, signal === 'rss' ? 4 * RSS_SENSITIVITY : 0)
  return (['heap', 'external', 'rss'] as const).some((signal) => (signal !== 'rss' || !rssShared) && counted.every((r) => r[signal] > floor(signal)))
}

/**
 * Whether a heap leak verdict is too close to call on these runs: a small rate (under
 * AMBIGUOUS_LEAK_RATE sensitivities) from runs that do not grow steadily (their spread is wider than
 * half their median). Code that warms up over dozens of runs (streams, for one: V8 keeps optimizing and
 * Node keeps filling lazy internals for ~30 runs) grows like that and then stops; a leak grows by
 * about the same amount on every run.
 */
export function ambiguous(runs: RunDeltas[], warmup: number, sensitivity: number, rssShared = false): boolean {
  const decision = decide(runs, warmup, sensitivity, rssShared)
  if (decision.verdict !== 'leak' || decision.signal !== 'heap' || decision.perRun >= AMBIGUOUS_LEAK_RATE * sensitivity) return false
  const counted = runs.slice(warmup)
  // Native memory grows too (an engine's JS wrapper on the heap, its pages in RSS): not warm-up.
  const external = counted.reduce((sum, r) => sum + Math.max(0, r.external), 0)
  const rssGrew = rssShared ? 0 : counted.filter((r) => r.rss > RSS_SENSITIVITY).length
  if (external > 4 * RSS_SENSITIVITY || rssGrew >= counted.length / 2) return false
  // A steady leak reads within a sensitivity of its rate on every run; warm-up wanders by more than
  // half its median (under load in CI, a stream test read 2.5-7.5 kB per run, median 5 kB).
  const heap = heapRuns(counted).map((r) => r.heap)
  return Math.max(...heap) - Math.min(...heap) > Math.max(sensitivity, decision.perRun / 2)
}

export class RepeatPlan {
  /** Runs Vitest will make in all (`repeats + 1`). */
  readonly available: number
  /** Runs started so far. */
  private started = 0
  private warmStart: number | undefined
  private finalRun = -1
  private stopAfterNext = false
  /** Counted runs judged at the end; with an extension, the last ones. */
  private readonly counted: number
  /** Measured runs planned; raised once by an extension. */
  private total: number
  /** The measurement was extended because its verdict was too close to call. */
  extended = false
  /** Why measuring stopped before the planned runs, if it did. */
  stoppedEarly: RepeatResult['stoppedEarly']
  readonly marks: Mark[] = []
  peak = 0
  rss = 0
  snapshot?: { before: string; after: string; afterTaken?: boolean }
  /** Why no snapshots are taken ("what grew" is then missing, and the report says why). */
  whatGrewSkipped?: string
  listenersRaised = false
  /** The heap profiler's test marker is set (at the first measured run: the diagnosis covers them all). */
  diagnosisMarked = false

  /**
   * @param skip unmeasured runs first (the first repeated test of a worker)
   * @param warmup measured runs that are not counted
   * @param total measured runs: warm-up + counted + 1 (the last one only supplies the last mark)
   * @param userRuns runs the user asked for (Vitest's `repeats + 1` before the harness raised it):
   *   the test body runs at least that often, even once the verdict is in
   * @param rssShared the pool runs tests in threads of one process: RSS is not judged
   * Vitest is asked for EXTENSION_RUNS more, used only when a verdict is too close to call.
   */
  constructor(private skip: number, readonly warmup: number, total: number, readonly userRuns: number, readonly sensitivity: number, readonly rssShared = false) {
    this.total = total
    this.counted = total - warmup - 1
    this.available = skip + total + EXTENSION_RUNS
  }

  /** The value for Vitest's `repeats`. */
  get repeats(): number {
    return this.available - 1
  }

  /** Call at the start of every run. */
  beginRun(): { kind: RunKind; index: number; bodyNeeded: boolean } {
    const index = this.started++
    const bodyNeeded = index < this.userRuns
    if (this.finalRun >= 0 && index > this.finalRun) return { kind: 'idle', index, bodyNeeded }
    if (this.skip > 0) {
      this.skip--
      return { kind: 'warm', index, bodyNeeded }
    }
    return { kind: 'measured', index, bodyNeeded }
  }

  /** Whether this run is the one that ends the measurement. */
  isFinal(index: number): boolean {
    return index === this.finalRun
  }

  /** The heap at the start of an unmeasured run: a leak of megabytes ends the warm-up early. */
  warmReading(heap: number): void {
    this.warmStart ??= heap
    if (heap - this.warmStart > WARMUP_GROWTH_CUTOFF) this.skip = 0
  }

  /** Add the mark taken at the start of measured run `index`, and say what follows. */
  mark(mark: Mark, index: number): MarkStep {
    this.marks.push(mark)
    const n = this.marks.length
    const last = index + 1 >= this.available
    if (this.snapshot && !this.snapshot.afterTaken) {
      this.snapshot.afterTaken = true
      return this.finish(index, { snapshot: 'after', final: true })
    }
    // Quiet runs take the short path: code first run in a measured run is compiled and optimized
    // there, and V8 leaves that metadata in the heap (a few kB), which the next mark would count.
    const previous = this.marks[n - 2]
    const big = previous !== undefined && (mark.heap - previous.heap > CERTAIN_RUN_GROWTH || mark.external - previous.external > CERTAIN_RUN_GROWTH || (!this.rssShared && mark.rss - previous.rss > 4 * RSS_SENSITIVITY))
    if (big && !this.stoppedEarly && n < this.total) {
      const runs = deltasOf(this.marks)
      const first = this.marks[0]!
      if (certainLeak(runs, this.warmup, this.sensitivity, this.rssShared)) this.stoppedEarly = 'certain'
      else if (n > this.warmup + 1 && (mark.heap - first.heap > REPEAT_PILEUP_LIMIT || mark.external - first.external > REPEAT_PILEUP_LIMIT)) this.stoppedEarly = 'pile-up'
    }
    // Judged one run before the end, where the snapshot around the last run would be taken.
    if (n === this.total - 1 && !this.extended && !this.stoppedEarly && index + EXTENSION_RUNS + 1 < this.available && ambiguous(deltasOf(this.marks), this.warmup, this.sensitivity, this.rssShared)) {
      this.extended = true
      this.total += EXTENSION_RUNS
    }
    const stop = n >= this.total || this.stoppedEarly !== undefined || last
    if (!stop && n !== this.total - 1) return { final: false }
    // Snapshot around one more run when the heap is what grows, and there is a run left for it.
    const wantsSnapshot = this.whatGrewSkipped === undefined && likelyLeak(deltasOf(this.marks), this.warmup, this.sensitivity)
    if (!stop) return wantsSnapshot ? { snapshot: 'before', final: false } : { final: false }
    if (wantsSnapshot && !last && !this.snapshot && !this.stopAfterNext) {
      this.stopAfterNext = true
      return { snapshot: 'before', final: false }
    }
    return this.finish(index, { final: true })
  }

  private finish(index: number, step: MarkStep): MarkStep {
    this.finalRun = index
    return step
  }

  /** Record a measured run's peaks (above its start). */
  ran(peak: number, rss: number): void {
    this.peak = Math.max(this.peak, peak)
    this.rss = Math.max(this.rss, rss)
  }

  /** The outcome, once the final run has ended. */
  outcome(grew: GrowthEntry[] | undefined, whatGrewSkipped: string | undefined): RepeatResult {
    const runs = deltasOf(this.marks)
    // Extended: the early runs count as warm-up, the last `counted` runs are judged.
    const warmup = this.extended ? Math.max(this.warmup, runs.length - this.counted) : this.warmup
    const decision = decide(runs, warmup, this.sensitivity, this.rssShared)
    const outcome: RepeatResult = { runs, warmup, verdict: decision.verdict, perRun: Math.round(decision.perRun) }
    if (decision.signal) outcome.signal = decision.signal
    if (this.stoppedEarly) outcome.stoppedEarly = this.stoppedEarly
    if (this.extended) outcome.extended = true
    if (decision.verdict === 'leak') {
      if (grew) outcome.grew = grew
      if (whatGrewSkipped) outcome.whatGrewSkipped = whatGrewSkipped
    }
    return outcome
  }
}

/** `leaks 12.3 kB per run (heap): 5 of 5 counted runs grew (+12.1 kB, ...), after a warm-up of +1.2 MB` */
export function leakViolation(outcome: RepeatResult, sensitivity: number): BudgetViolation {
  const signal = outcome.signal ?? 'heap'
  const counted = outcome.runs.slice(outcome.warmup).map((r) => r[signal])
  const warm = outcome.runs.slice(0, outcome.warmup).map((r) => r[signal])
  const grew = counted.filter((d) => d > sensitivity).length
  const what = signal === 'heap' ? 'heap' : signal === 'external' ? 'external memory' : 'RSS (native memory)'
  const stopped = outcome.stoppedEarly === 'certain' ? ' (stopped early: the verdict was certain)' : outcome.stoppedEarly === 'pile-up' ? ` (stopped early: grew past ${formatBytes(REPEAT_PILEUP_LIMIT)})` : ''
  return {
    metric: 'leak',
    limit: sensitivity,
    actual: outcome.perRun,
    message: `leaks ${formatBytes(outcome.perRun)} of ${what} per run: ${grew} of ${counted.length} counted runs grew (${counted.map(formatDelta).join(', ')})${warm.length ? `, after warm-up ${warm.map(formatDelta).join(', ')}` : ''}${stopped}`,
  }
}
