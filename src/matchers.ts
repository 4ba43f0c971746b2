/**
 * Retention checks for test authors, as Vitest matchers. Importing this module registers them
 * (with `expect.extend`) and brings their types: add it to a setup file,
 * `test: { setupFiles: ['vitest-memory/matchers'] }`, or import it in the test files that use them.
 * `toBeCollectedAfterTest` needs the plugin; the other two work without it.
 *
 * ```ts
 * await expect(() => new Session()).toBeGarbageCollected()
 * await expect(() => cache.get(key)).not.toLeak({ iterations: 60 })
 * expect(server).toBeCollectedAfterTest()
 * ```
 * @module
 */
import { expect } from 'vitest'
import { formatBytes } from './shared/size.ts'
import { parseSize, type Size } from './shared/size.ts'
import { getGc, heapUsed, SECOND_LOOK } from './worker/gc.ts'
import { collect, turns } from './worker/collect.ts'
import { runtimeSlot } from './worker/slot.ts'

export interface CollectedOptions {
  /** Full GCs to try, each followed by macrotask turns for finalizers and WeakRefs. @default 5 */
  attempts?: number
}

export interface LeakOptions {
  /** Calls measured after the warm-up, split into `samples` groups. @default 30 */
  iterations?: number
  /** Heap readings (after a full GC) taken between the groups: `samples` differences. @default 6 */
  samples?: number
  /** Calls before measuring, for one-time growth (compiled code, caches filled once). @default 5 */
  warmup?: number
  /** Growth per group below which a group does not count as growing. @default '1 KB' */
  sensitivity?: Size
}

declare module 'vitest' {
  interface Matchers<T = any> {
    /**
     * The object returned by the factory (called once) is garbage collected once nothing else
     * holds it. Pass a factory, not the object: `expect(obj)` itself would keep it alive.
     */
    toBeGarbageCollected(options?: CollectedOptions): Promise<void>
    /** The object is garbage collected once the test (with its hooks and fixtures) has ended. */
    toBeCollectedAfterTest(): void
    /**
     * Calling the function repeatedly grows the heap: the heap grows by more than `sensitivity`
     * between every pair of readings (`leakage`'s rule). Usually negated: `.not.toLeak()`.
     */
    toLeak(options?: LeakOptions): Promise<void>
  }
}

async function settledHeap(): Promise<number> {
  const gc = getGc()
  gc()
  await turns(1)
  gc()
  const heap = heapUsed()
  if (!SECOND_LOOK) return heap
  // The harness's exact reading does the same (see SECOND_LOOK): a phantom jump in one reading
  // made a steady leak's next difference negative, and the positive form of toLeak() failed.
  gc()
  return Math.min(heap, heapUsed())
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

const WHY = 'Something still references it: a module-level cache or array, an event listener, a timer or interval callback, a closure stored elsewhere, or a pending promise.'

export const matchers = {
  async toBeGarbageCollected(this: { isNot: boolean }, factory: unknown, options: CollectedOptions = {}) {
    if (typeof factory !== 'function') {
      throw new TypeError(`toBeGarbageCollected() expects a factory function, like expect(() => new Thing()).toBeGarbageCollected(): passing the object itself would keep it alive. Got ${typeof factory}.`)
    }
    const attempts = options.attempts ?? 5
    // Created in a separate function so no local of ours keeps it.
    const ref = await (async () => {
      const value: unknown = await (factory as () => unknown)()
      if (!isObjectLike(value)) throw new TypeError(`toBeGarbageCollected(): the factory must return an object or a function; it returned ${value === null ? 'null' : typeof value}, which is never garbage collected on its own.`)
      return new WeakRef(value)
    })()
    const used = await collect(ref, attempts)
    const pass = used > 0
    return {
      pass,
      message: () => pass
        ? `expected the object not to be garbage collected, but it was collected after ${used} full GC(s)`
        : `expected the object returned by the factory to be garbage collected, but it is still reachable after ${attempts} full GCs. ${WHY}`,
    }
  },

  toBeCollectedAfterTest(this: { isNot: boolean }, received: unknown) {
    if (this.isNot) throw new TypeError('toBeCollectedAfterTest() cannot be negated.')
    if (!isObjectLike(received)) {
      throw new TypeError(`toBeCollectedAfterTest() expects an object or a function, got ${received === null ? 'null' : typeof received}.`)
    }
    const current = runtimeSlot().current
    if (!current) throw new Error('toBeCollectedAfterTest() must be called inside a test, with the vitest-memory plugin active.')
    ;(current.collectAfter ??= []).push({ ref: new WeakRef(received), description: describe(received) })
    return { pass: true, message: () => '' }
  },

  async toLeak(this: { isNot: boolean }, fn: unknown, options: LeakOptions = {}) {
    if (typeof fn !== 'function') throw new TypeError(`toLeak() expects a function to call repeatedly, like expect(() => handle(request)).not.toLeak(). Got ${typeof fn}.`)
    const iterations = options.iterations ?? 30
    const samples = options.samples ?? 6
    const warmup = options.warmup ?? 5
    const sensitivity = options.sensitivity === undefined ? 1_000 : parseSize(options.sensitivity, 'toLeak(): sensitivity')
    if (!Number.isInteger(iterations) || !Number.isInteger(samples) || samples < 1 || iterations < samples) {
      throw new TypeError(`toLeak(): iterations (${iterations}) must be a whole number of at least samples (${samples}), and samples at least 1.`)
    }
    const call = fn as () => unknown
    for (let i = 0; i < warmup; i++) await call()
    const per = Math.floor(iterations / samples)
    const readings = [await settledHeap()]
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < per; i++) await call()
      readings.push(await settledHeap())
    }
    const diffs = readings.slice(1).map((r, i) => r - readings[i]!)
    const growing = diffs.filter((d) => d > sensitivity).length
    const pass = growing === diffs.length
    const total = readings.at(-1)! - readings[0]!
    const perCall = total / (per * samples)
    const detail = `heap differences after every ${per} call(s): ${diffs.map((d) => `${d >= 0 ? '+' : ''}${formatBytes(d)}`).join(', ')} (${formatBytes(Math.max(0, perCall))} per call)`
    return {
      pass,
      message: () => pass
        ? `expected the function not to leak, but the heap grew on all ${diffs.length} of ${diffs.length} measurements by more than ${formatBytes(sensitivity)}: ${detail}`
        : `expected the function to leak, but the heap grew on ${growing} of ${diffs.length} measurements: ${detail}`,
    }
  },
}

function describe(value: object): string {
  const name = (value as { constructor?: { name?: string } }).constructor?.name
  return typeof value === 'function' ? `function ${(value as { name?: string }).name || '(anonymous)'}` : name ? `${name} object` : 'object'
}

/** Register the matchers with Vitest's `expect`. Importing this module does it. */
export function installMatchers(): void {
  expect.extend(matchers as unknown as Parameters<typeof expect.extend>[0])
}

installMatchers()
