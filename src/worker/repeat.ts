// Deciding, from repeated runs of one test, whether it leaks. See README "Repetition".
import type { LeakSignal, RepeatVerdict } from '../types.ts'

/** Native memory moves in pages and allocator arenas: below this per run, RSS growth is noise. */
export const RSS_SENSITIVITY = 64_000

export interface RunDeltas {
  heap: number
  external: number
  rss: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Share of counted runs that must grow by at least half the sensitivity. */
export const GROWING_SHARE = 0.7

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
 */
export function decide(runs: RunDeltas[], warmup: number, sensitivity: number): Decision {
  const counted = runs.slice(warmup)
  const signals: Array<[LeakSignal, number]> = [['heap', sensitivity], ['external', sensitivity], ['rss', Math.max(sensitivity, RSS_SENSITIVITY)]]
  for (const [signal, threshold] of signals) {
    const deltas = counted.map((r) => r[signal])
    if (leaks(deltas, threshold)) return { verdict: 'leak', signal, perRun: median(deltas) }
  }
  const perRun = counted.length ? median(counted.map((r) => r.heap)) : 0
  const warm = runs.slice(0, warmup)
  if (warm.some((r) => r.heap > sensitivity || r.external > sensitivity)) return { verdict: 'one-time', perRun }
  return { verdict: 'clean', perRun }
}

/** Whether the runs so far make a heap leak likely enough to snapshot the last run. */
export function likelyLeak(runs: RunDeltas[], warmup: number, sensitivity: number): boolean {
  return leaks(runs.slice(warmup).map((r) => r.heap), sensitivity)
}
