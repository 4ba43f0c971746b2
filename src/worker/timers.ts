// Timers left running by test code. `process.getActiveResourcesInfo()` also lists Vitest's own
// timers (RPC batching, hook timeouts), which come and go between two readings and made a test
// look like it left a `Timeout` behind, or hid one it did leave. Vitest keeps the original timer
// functions for itself (its "safe timers"), so wrapping the global ones sees test code only.

const KEY = Symbol.for('vitest-memory.timers')

type Timer = { hasRef?: () => boolean; [Symbol.toPrimitive]?: () => number }
interface Tracking {
  live: Set<Timer>
  byId: Map<number, Timer>
}

function idOf(timer: Timer): number | undefined {
  return typeof timer[Symbol.toPrimitive] === 'function' ? timer[Symbol.toPrimitive]!() : undefined
}

function copyExtras(from: object, to: object): void {
  for (const key of Reflect.ownKeys(from)) {
    if (['length', 'name', 'prototype', 'arguments', 'caller'].includes(key as string)) continue
    Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key)!)
  }
}

/** Wrap `setTimeout`/`setInterval` and their `clear*` on `target` (once) to track live timers. */
export function trackTimers(target: typeof globalThis = globalThis): Tracking {
  const g = target as unknown as { [KEY]?: Tracking }
  if (g[KEY]) return g[KEY]
  const tracking: Tracking = { live: new Set(), byId: new Map() }
  g[KEY] = tracking
  const forget = (timer: unknown) => {
    if (timer === null || timer === undefined) return
    const t = typeof timer === 'object' ? (timer as Timer) : tracking.byId.get(Number(timer))
    if (!t) return
    tracking.live.delete(t)
    const id = idOf(t)
    if (id !== undefined) tracking.byId.delete(id)
  }
  const remember = (t: Timer) => {
    tracking.live.add(t)
    const id = idOf(t)
    if (id !== undefined) tracking.byId.set(id, t)
    return t
  }
  const { setTimeout: st, setInterval: si, clearTimeout: ct, clearInterval: ci } = target
  const wrappedSetTimeout = function (this: unknown, callback: unknown, ...rest: unknown[]) {
    if (typeof callback !== 'function') return (st as (...a: unknown[]) => unknown).call(this, callback, ...rest)
    let timer: Timer
    const fire = function (this: unknown, ...args: unknown[]) {
      forget(timer)
      return (callback as (...a: unknown[]) => unknown).apply(this, args)
    }
    timer = (st as (...a: unknown[]) => Timer).call(this, fire, ...rest)
    return remember(timer)
  }
  const wrappedSetInterval = function (this: unknown, ...args: unknown[]) {
    const timer = (si as (...a: unknown[]) => Timer).apply(this, args)
    return typeof args[0] === 'function' ? remember(timer) : timer
  }
  // Keep what other code reads off these functions (util.promisify.custom, for one).
  copyExtras(st, wrappedSetTimeout)
  copyExtras(si, wrappedSetInterval)
  target.setTimeout = wrappedSetTimeout as unknown as typeof setTimeout
  target.setInterval = wrappedSetInterval as unknown as typeof setInterval
  target.clearTimeout = function (this: unknown, timer?: unknown) {
    forget(timer)
    return (ct as (t?: unknown) => void).call(this, timer)
  } as typeof clearTimeout
  target.clearInterval = function (this: unknown, timer?: unknown) {
    forget(timer)
    return (ci as (t?: unknown) => void).call(this, timer)
  } as typeof clearInterval
  return tracking
}

/** Timers started by test code that are still pending and keep the process alive. */
export function liveTimers(tracking: Tracking): number {
  let n = 0
  for (const t of tracking.live) if (typeof t.hasRef !== 'function' || t.hasRef()) n++
  return n
}
