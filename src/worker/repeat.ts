// Deciding, from repeated runs of one test, whether it leaks. See README "Repetition".
import type { LeakSignal, RepeatVerdict } from '../types.ts'

/** Native memory moves in pages and allocator arenas: below this per run, RSS growth is noise. */
export const RSS_SENSITIVITY = 64_000

export interface RunDeltas {
  heap: number
  external: number
  rss: number
  /**
   * Growth of V8's compiled code and bytecode with their metadata in the run
   * (`v8.getHeapCodeStatistics()`: `code_and_metadata_size + bytecode_and_metadata_size`), when
   * recorded. Nonzero means V8 compiled or optimized something during the run.
   */
  code?: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Share of counted runs that must grow by at least half the sensitivity. */
export const GROWING_SHARE = 0.7

/**
 * The runs the heap signal is judged on. When V8 optimizes code it also leaves metadata
 * (deoptimization data, source positions, relocation info: about a third of the code's size) in
 * the old space, which the heap reading counts. In the first repeated test of a worker that
 * happens in a third or more of the runs (Vitest's runner and the harness tier up over ~40 runs;
 * 2-10 kB each on Node 20) and made clean tests look like 2 kB leaks. When the runs carry `code`,
 * those in which compiled code changed are left out, as long as at least half of them remain.
 */
export function heapRuns(counted: RunDeltas[]): RunDeltas[] {
  const quiet = counted.filter((r) => !r.code)
  return quiet.length >= Math.max(3, Math.ceil(counted.length / 2)) ? quiet : counted
}

/**
 * A signal leaks when the median counted run grows more than `sensitivity` and at least 70% of the
 * counted runs grow by more than half of it. CPython's `-R` asks every run to grow; here V8 moves by
 * ~200 kB on its own now and then (one run jumps, the next falls back) and Vitest flushes its
 * queued task updates every 100 ms (a sawtooth of a few kB), so a strict "every run" would let
 * such a dip hide a real leak, and the median alone would let one jump make one.
 */
export function leaks(counted: number[], sensitivity: number): boolean {
  if (counted.length === 0) return false
  const growing = counted.filter((d) => d > sensitivity / 2).length
  return median(counted) > sensitivity && growing >= Math.ceil(GROWING_SHARE * counted.length)
}

export interface Decision {
  verdict: RepeatVerdict
  signal?: LeakSignal
  /** Median growth per counted run of the signal that decided (heap when clean). */
  perRun: number
}

/**
 * `leak` when a signal grows on (nearly) every counted run; else `one-time` when a warm-up run
 * grew (a lazy singleton, first-run compiled code, a cache filled once); else `clean`.
 *
 * When several signals leak, the one that explains the growth is named: RSS contains the heap and
 * external memory, and native objects have small JS wrappers (an unclosed sqlite engine leaks ~2 kB
 * of heap and ~1 MB of native memory per run). So external memory wins over the heap when it grows
 * faster, and RSS wins only when it grows more than twice the heap and external memory together.
 * `rssShared` (thread pools): RSS is the process's, not the test's, and is not judged.
 */
export function decide(runs: RunDeltas[], warmup: number, sensitivity: number, rssShared = false): Decision {
  const counted = runs.slice(warmup)
  const judged = (signal: LeakSignal) => (signal === 'heap' ? heapRuns(counted) : counted).map((r) => r[signal])
  const rate = (signal: LeakSignal) => median(judged(signal))
  const thresholds: Record<LeakSignal, number> = { heap: sensitivity, external: sensitivity, rss: Math.max(sensitivity, RSS_SENSITIVITY) }
  // In a thread pool RSS belongs to the whole process, every thread's tests and Vitest's included:
  // it says nothing about one test there.
  const signals: LeakSignal[] = rssShared ? ['heap', 'external'] : ['heap', 'external', 'rss']
  const leaking = signals.filter((signal) => leaks(judged(signal), thresholds[signal]))
  if (leaking.length) {
    const heap = Math.max(0, rate('heap'))
    const external = Math.max(0, rate('external'))
    let signal: LeakSignal = leaking[0]!
    if (signal === 'heap' && leaking.includes('external') && external > heap) signal = 'external'
    if (leaking.includes('rss') && rate('rss') > 2 * (heap + external)) signal = 'rss'
    return { verdict: 'leak', signal, perRun: rate(signal) }
  }
  const perRun = counted.length ? rate('heap') : 0
  const warm = runs.slice(0, warmup)
  if (warm.some((r) => r.heap > sensitivity || r.external > sensitivity)) return { verdict: 'one-time', perRun }
  return { verdict: 'clean', perRun }
}

/** Whether the runs so far make a heap leak likely enough to snapshot the last run. */
export function likelyLeak(runs: RunDeltas[], warmup: number, sensitivity: number): boolean {
  return leaks(heapRuns(runs.slice(warmup)).map((r) => r.heap), sensitivity)
}
