// Heap, RSS and handle readings around one test, and the GC policy that decides how exact
// they are. See the README ("How it measures") for the reasoning behind each step.
import v8 from 'node:v8'
import {
  ESCALATE_FRACTION, ESCALATE_WITHOUT_BUDGET, MIN_SLACK, SLACK_FRACTION,
} from '../constants.ts'
import type { MeasureMode, Precision } from '../types.ts'
import { dataBytes, getGc, heapAndYoung, heapUsed, SECOND_LOOK } from './gc.ts'
import { resourceCounters } from './slot.ts'
import { forgetDone, liveTimers, trackTimers } from './timers.ts'

const gc = getGc()

export interface Reading {
  heap: number
  rss: number
  maxRss: number
  external: number
  arrayBuffers: number
  handles: Map<string, number>
}

const timers = trackTimers()

export function countHandles(): Map<string, number> {
  const counts = new Map<string, number>()
  // Timers come from the tracked test-code timers, not from Vitest's own (see timers.ts).
  for (const type of process.getActiveResourcesInfo()) if (type !== 'Timeout') counts.set(type, (counts.get(type) ?? 0) + 1)
  counts.set('Timeout', liveTimers(timers))
  for (const [type, count] of resourceCounters()) counts.set(type, count())
  return counts
}

/** Handle types open now that were not open at `before`, with how many more. */
export function handlesLeft(before: Map<string, number>, after: Map<string, number>): Record<string, number> | undefined {
  let left: Record<string, number> | undefined
  for (const [type, n] of after) {
    const delta = n - (before.get(type) ?? 0)
    if (delta > 0) (left ??= {})[type] = delta
  }
  return left
}

/**
 * A reading with no GC. The heap is measured first, right after the caller's GC: on Node 20 a heap
 * figure taken a moment later (after `process.memoryUsage()`, which reads /proc) sometimes counts
 * 100-280 kB of old space that no object holds (README "Accuracy"). The reading's own objects
 * (a few hundred bytes) are then counted by the next reading only. `heap`: the caller's figure,
 * taken right after its GC.
 */
export function read(heap = heapUsed()): Reading {
  const usage = process.memoryUsage()
  return {
    heap,
    rss: usage.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    handles: countHandles(),
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A test's start reading, and what bounds the garbage in it. */
export interface StartReading {
  reading: Reading
  /** Taken right after the exact GC sequence: `reading.heap` is the live heap. */
  exact: boolean
  /**
   * Bytes of the young generation in `reading.heap` that may be garbage (0 right after a GC): the
   * live heap plus the old generation's garbage is at least `reading.heap - young`.
   */
  young: number
}

/** What the harness saw of the GCs that ran on their own during a test. */
export interface GcsSeen {
  gcs: number
  majorGcs: number
}

/**
 * Per-worker GC bookkeeping. `anchor` is the live heap at the last full GC: the cheap readings
 * since then are bounded by how far the heap has grown past it.
 */
export class Sampler {
  private anchor = 0
  /** External memory at the last settle (two GCs around a turn): the external anchor. */
  private externalAnchor: number | undefined
  gcMs = 0
  fullGcs = 0
  /** GCs the harness ran, of any kind (a GC watch started before them sees them too). */
  forcedGcs = 0

  constructor(readonly mode: MeasureMode) {}

  private timed(fn: () => void): void {
    // Finished timers the tracking still holds must not live through a GC that reads the heap.
    forgetDone(timers)
    const t = performance.now()
    fn()
    this.forcedGcs++
    this.gcMs += performance.now() - t
  }

  /**
   * An exact reading, whatever the mode (file boundaries, repeated runs and auto mode's
   * escalations use it): a full GC, a macrotask turn, a full GC (and on Node 20 a third, see
   * SECOND_LOOK). `external` lags the heap, and only the second GC sees ArrayBuffer memory
   * released by the first.
   */
  async exact(): Promise<Reading> {
    this.timed(() => gc())
    await nextTurn()
    this.timed(() => gc())
    this.fullGcs += 2
    const reading = read()
    if (SECOND_LOOK) {
      this.timed(() => gc())
      this.fullGcs++
      reading.heap = Math.min(reading.heap, heapUsed())
    }
    this.externalAnchor = reading.external
    return this.anchored(reading)
  }

  /**
   * A single full GC, then a reading: the live heap, exact (external memory may lag: `exact()`
   * settles it too, at the price of a second GC).
   */
  fullGcReading(): Reading {
    this.timed(() => gc())
    this.fullGcs++
    return this.anchored(read())
  }

  private anchored(reading: Reading): Reading {
    this.anchor = reading.heap
    return reading
  }

  /** A cheap reading (minor GC) for file boundaries that need no exact figure. */
  cheap(): Reading {
    this.timed(() => gc({ type: 'minor' }))
    return read()
  }

  /**
   * Reading at the start of a test, taken where exact mode takes its own (the end of the harness's
   * `beforeEach`), so that whatever Vitest did for the previous test (its error, its diff, the task
   * update it queued) is on the "before" side in both modes. Exact mode: exact. Auto mode: the heap
   * as it is, no GC, when no verdict needs more (no retained budget, or the young generation holds
   * less than half the slack); else after a minor GC. Plus a full GC when the heap has grown more
   * than `slack` since the last full GC (that growth bounds the garbage left in the reading, so it
   * bounds the error of a later escalated reading to the slack). `afterFailure`: the exact reading,
   * as in exact mode. What Vitest keeps about a failed test (its error, diff and task update) is
   * released on Vitest's schedule, not the harness's; read any other way, a clean test right after a
   * large diff now and then read +230 kB (in 3 of 30 runs of the accuracy corpus or its neighbours
   * file, never in 25 in exact mode; in none of 45 since). Failures are few, so this costs little.
   */
  async start(retainedBudget: number | undefined, externalBudget: number | undefined, afterFailure: boolean): Promise<StartReading> {
    if (this.mode === 'exact' || afterFailure) return { reading: await this.exact(), exact: true, young: 0 }
    // Without a retained budget no verdict depends on the bound, so no GC is spent on it.
    const slack = retainedBudget === undefined ? Infinity : Math.max(MIN_SLACK, retainedBudget * SLACK_FRACTION)
    let { heap, young } = heapAndYoung()
    // The gap of a bounded reading is the young garbage plus the old generation's growth since the
    // last full GC: keep both together within the slack.
    if (young > slack / 2) {
      this.timed(() => gc({ type: 'minor' }))
      heap = heapUsed()
      young = 0
    }
    const reading = read(heap)
    // With an external budget, freed-but-not-yet-released Buffers in `before` would hide growth:
    // settle when external memory has grown past a slack since the last settle.
    const externalUnsettled = externalBudget !== undefined && (this.externalAnchor === undefined || reading.external - this.externalAnchor > Math.max(MIN_SLACK, externalBudget * SLACK_FRACTION))
    // heap < anchor: live memory was freed and a natural GC collected it; re-anchor.
    const old = reading.heap - young
    if (externalUnsettled || reading.heap - this.anchor > slack || (old < this.anchor && retainedBudget !== undefined)) {
      return { reading: await this.exact(), exact: true, young: 0 }
    }
    return { reading, exact: false, young }
  }

  /**
   * Reading at the end of a test. Returns the retained figure and how precise it is. Auto mode:
   * 1. No GC ran during the test: the heap only grew, garbage included, so `end - start` is an upper
   *    bound of what the test retained, for the price of one heap listing.
   * 2. Else (or when that bound comes near the budget) a minor GC: with no major GC during the test
   *    the old generation's garbage only grew and the young one is empty, so `end - (start - young)`
   *    is an upper bound.
   * 3. Else (the bound comes within ESCALATE_FRACTION of the budget, or a major GC ran during the
   *    test and may have collected garbage counted at the start) the exact reading.
   * `failed`: the test failed on its own; straight to the exact reading, as after a failure (`start`).
   */
  async end(
    before: StartReading,
    endHeap: number,
    retainedBudget: number | undefined,
    seen: GcsSeen,
    externalBudget: number | undefined,
    failed: boolean,
  ): Promise<{ reading: Reading; retained: number; retainedMax?: number; precision: Precision }> {
    const hb = before.reading.heap
    if (this.mode === 'exact') {
      const reading = await this.exact()
      return { reading, retained: reading.heap - hb, precision: 'exact' }
    }
    const anchorBefore = this.anchor
    const threshold = retainedBudget === undefined ? ESCALATE_WITHOUT_BUDGET : retainedBudget * ESCALATE_FRACTION
    // External memory is freed after the GC that frees its owner, off the main thread: a cheap
    // reading near the external budget is settled before it is judged.
    const settled = (reading: Reading) => externalBudget === undefined || reading.external - before.reading.external <= externalBudget * ESCALATE_FRACTION
    if (!failed && seen.gcs === 0 && endHeap - hb <= threshold) {
      const reading = read(endHeap)
      if (settled(reading)) return { reading, retained: endHeap - hb, precision: 'estimate' }
    }
    if (!failed && seen.majorGcs === 0) {
      this.timed(() => gc({ type: 'minor' }))
      const heap = heapUsed()
      // Minor GCs (the test's and this one) free young garbage only: of what the start reading
      // counted, at most its young generation (`before.young`), and the old generation's garbage
      // only grew. So `heap - (hb - before.young)` bounds what the test retained from above.
      const bound = heap - (hb - before.young)
      // Without a retained budget no verdict depends on the figure: the bound is the reading.
      if (bound <= threshold || retainedBudget === undefined) {
        const reading = read(heap)
        if (settled(reading)) return { reading, retained: bound, precision: 'estimate' }
      }
    }
    // Escalated: the same exact reading as exact mode. One full GC alone reads 1-15 kB low near a
    // budget (garbage whose release takes a second GC after a macrotask turn).
    const reading = await this.exact()
    const retained = reading.heap - hb
    if (before.exact) return { reading, retained, precision: 'exact' }
    // `hb` holds the live heap at the start plus garbage, so `retained` is a lower bound; the live
    // heap at the start is at least the anchor's (or the old generation's, when it fell below it).
    return { reading, retained, retainedMax: reading.heap - Math.min(anchorBefore, hb - before.young), precision: 'bounded' }
  }
}

/** What GCs ran on their own between `start` and `stop`, and the highest heap use seen before one. */
export class GcWatch {
  private profiler: v8.GCProfiler | undefined

  start(): void {
    this.profiler?.stop()
    this.profiler = new v8.GCProfiler()
    this.profiler.start()
  }

  /**
   * Stop watching. Safe to call twice; the second call returns nothing seen. `skip`: the first GCs
   * seen are the harness's own (its start reading's, when the watch started before it).
   */
  stop(skip = 0): GcsSeen & { peakBeforeGc: number } {
    const result = { gcs: 0, majorGcs: 0, peakBeforeGc: 0 }
    const data = this.profiler?.stop()
    this.profiler = undefined
    for (const s of data?.statistics.slice(skip) ?? []) {
      result.gcs++
      if (s.gcType === 'MarkSweepCompact') result.majorGcs++
      const spaces = s.beforeGC.heapSpaceStatistics.map((x) => ({ space_name: x.spaceName, space_used_size: x.spaceUsedSize }))
      result.peakBeforeGc = Math.max(result.peakBeforeGc, dataBytes(spaces))
    }
    return result
  }
}
