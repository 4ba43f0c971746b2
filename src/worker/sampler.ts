// Heap, RSS and handle readings around one test, and the GC policy that decides how exact
// they are. See the README ("How it measures") for the reasoning behind each step.
import v8 from 'node:v8'
import {
  ESCALATE_FRACTION, ESCALATE_WITHOUT_BUDGET, MIN_SLACK, SLACK_FRACTION,
} from '../constants.ts'
import type { MeasureMode, Precision } from '../types.ts'
import { dataBytes, getGc, heapUsed, SECOND_LOOK } from './gc.ts'
import { resourceCounters } from './slot.ts'
import { liveTimers, trackTimers } from './timers.ts'

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

/**
 * Per-worker GC bookkeeping. `anchor` is the live heap at the last full GC: the cheap readings
 * since then are bounded by how far the heap has grown past it.
 */
export class Sampler {
  private anchor = 0
  /** External memory at the last settle (two GCs around a turn): the external anchor. */
  private externalAnchor: number | undefined
  /** The reading after the last test, which the next test of the same suite can start from. */
  private lastAfter: Reading | undefined
  gcMs = 0
  fullGcs = 0

  constructor(readonly mode: MeasureMode) {}

  private timed(fn: () => void): void {
    const t = performance.now()
    fn()
    this.gcMs += performance.now() - t
  }

  /**
   * An exact reading, whatever the mode (file boundaries, repeated runs and auto mode's
   * escalations use it): a full GC, a macrotask turn, a full GC (and on Node 20 a third, see
   * SECOND_LOOK). `external` lags the heap, and only the second GC sees ArrayBuffer memory
   * released by the first.
   */
  async exact(): Promise<Reading> {
    this.lastAfter = undefined
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
    this.lastAfter = undefined
    this.timed(() => gc())
    this.fullGcs++
    return this.anchored(read())
  }

  private anchored(reading: Reading): Reading {
    this.anchor = reading.heap
    return reading
  }

  /**
   * Reading before a test. Exact mode: exact. Auto mode: a minor GC, plus a full GC when the heap
   * has grown more than `slack` since the last full GC (that growth bounds the garbage left in the
   * reading, so it bounds the error of a later escalated reading).
   */
  async before(retainedBudget: number | undefined, reusePrevious: boolean, externalBudget?: number): Promise<{ reading: Reading; exact: boolean; garbageBound: number }> {
    const previous = this.lastAfter
    this.lastAfter = undefined
    if (this.mode === 'exact') return { reading: await this.exact(), exact: true, garbageBound: 0 }
    // Nothing of the test code ran since the previous test's reading (same suite: no beforeAll or
    // afterAll in between), so that reading is this test's start, and saves a minor GC and a reading.
    let reading = reusePrevious ? previous : undefined
    if (!reading) {
      this.timed(() => gc({ type: 'minor' }))
      reading = read()
    }
    // Without a retained budget no verdict depends on the bound, so no full GC is spent on it.
    const slack = retainedBudget === undefined ? Infinity : Math.max(MIN_SLACK, retainedBudget * SLACK_FRACTION)
    // With an external budget, freed-but-not-yet-released Buffers in `before` would hide growth:
    // settle when external memory has grown past a slack since the last settle.
    if (externalBudget !== undefined && (this.externalAnchor === undefined || reading.external - this.externalAnchor > Math.max(MIN_SLACK, externalBudget * SLACK_FRACTION))) {
      return { reading: await this.exact(), exact: true, garbageBound: 0 }
    }
    // heap < anchor: live memory was freed and a natural GC collected it; re-anchor.
    if (reading.heap - this.anchor > slack || (reading.heap < this.anchor && retainedBudget !== undefined)) {
      return { reading: await this.exact(), exact: true, garbageBound: 0 }
    }
    return { reading, exact: false, garbageBound: reading.heap - this.anchor }
  }

  /** A cheap reading (minor GC) for file boundaries that need no exact figure. */
  cheap(): Reading {
    this.lastAfter = undefined
    this.timed(() => gc({ type: 'minor' }))
    return read()
  }

  /**
   * Reading after a test. Returns the retained estimate and how precise it is.
   * Auto mode escalates to a full GC when the cheap reading comes within ESCALATE_FRACTION of the
   * budget, or when a major GC ran during the test (it may have collected garbage counted in
   * `before`, so the cheap difference is no longer an upper bound).
   */
  async after(
    before: { reading: Reading; exact: boolean; garbageBound: number },
    retainedBudget: number | undefined,
    majorGcDuringTest: boolean,
    externalBudget?: number,
  ): Promise<{ reading: Reading; retained: number; retainedMax?: number; precision: Precision }> {
    const hb = before.reading.heap
    if (this.mode === 'exact') {
      const reading = await this.exact()
      return { reading, retained: reading.heap - hb, precision: 'exact' }
    }
    const anchorBefore = this.anchor
    this.timed(() => gc({ type: 'minor' }))
    const threshold = retainedBudget === undefined ? ESCALATE_WITHOUT_BUDGET : retainedBudget * ESCALATE_FRACTION
    let reading: Reading | undefined
    const heap = heapUsed()
    if (heap - hb <= threshold && !majorGcDuringTest) {
      reading = read(heap)
      // External memory is freed after the GC that frees its owner, off the main thread: a cheap
      // reading near the external budget is settled before it is judged.
      const externalNear = externalBudget !== undefined && reading.external - before.reading.external > externalBudget * ESCALATE_FRACTION
      if (!externalNear) {
        this.lastAfter = reading
        return { reading, retained: reading.heap - hb, precision: 'estimate' }
      }
      reading = await this.exact()
    }
    // Escalated: the same exact reading as exact mode. One full GC alone reads 1-15 kB low near a
    // budget (garbage whose release takes a second GC after a macrotask turn).
    reading ??= await this.exact()
    this.lastAfter = reading
    const retained = reading.heap - hb
    if (before.exact) return { reading, retained, precision: 'exact' }
    // Live heap before the test lies between the anchor and `hb`: retained lies between these.
    return { reading, retained, retainedMax: reading.heap - Math.min(anchorBefore, hb), precision: 'bounded' }
  }
}

/** What GCs ran on their own between `start` and `stop`, and the highest heap use seen before one. */
export class GcWatch {
  private profiler: v8.GCProfiler | undefined

  start(): void {
    this.profiler = new v8.GCProfiler()
    this.profiler.start()
  }

  /** Stop watching. Safe to call twice; the second call returns nothing seen. */
  stop(): { gcs: number; majorGcs: number; peakBeforeGc: number } {
    const result = { gcs: 0, majorGcs: 0, peakBeforeGc: 0 }
    const data = this.profiler?.stop()
    this.profiler = undefined
    for (const s of data?.statistics ?? []) {
      result.gcs++
      if (s.gcType === 'MarkSweepCompact') result.majorGcs++
      const spaces = s.beforeGC.heapSpaceStatistics.map((x) => ({ space_name: x.spaceName, space_used_size: x.spaceUsedSize }))
      result.peakBeforeGc = Math.max(result.peakBeforeGc, dataBytes(spaces))
    }
    return result
  }
}
