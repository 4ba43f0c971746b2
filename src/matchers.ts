/**
 * Retention checks for test authors, as Vitest matchers. The plugin installs them in every test
 * file; import this module (or `vitest-memory`) for the types, or call `installMatchers()`
 * yourself when the plugin is not active.
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
import { getGc, heapUsed } from './worker/gc.ts'
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

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Full GCs and macrotask turns until `ref` is cleared or the attempts run out. Returns the attempts used. */
export async function collect(ref: WeakRef<object>, attempts = 5): Promise<number> {
  const gc = getGc()
  for (let i = 1; i <= attempts; i++) {
    // A WeakRef keeps its target alive until the job that created or dereferenced it ends, so
    // every GC runs in a later job than the last deref().
    await turns(1)
    gc()
    await turns(2)
    if (ref.deref() === undefined) return i
  }
  return 0
}

async function settledHeap(): Promise<number> {
  const gc = getGc()
  gc()
  await turns(1)
  gc()
  return heapUsed()
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

/**
 * Objects registered with `toBeCollectedAfterTest()` that are still alive: runs GCs first.
 * Called by the harness at the end of each test.
 */
export async function stillAlive(entries: Array<{ ref: WeakRef<object>; description: string }>): Promise<string[]> {
  const alive: string[] = []
  for (const entry of entries) if ((await collect(entry.ref, 3)) === 0) alive.push(entry.description)
  return alive
}

/** Register the matchers with Vitest's `expect`. The plugin does this in every test file. */
export function installMatchers(): void {
  expect.extend(matchers as unknown as Parameters<typeof expect.extend>[0])
}
