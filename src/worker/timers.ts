// Timers left running by test code. `process.getActiveResourcesInfo()` also lists Vitest's own
// timers (RPC batching, hook timeouts), which come and go between two readings and made a test
// look like it left a `Timeout` behind, or hid one it did leave. Vitest keeps the original timer
// functions for itself (its "safe timers"), so the timers made through the global ones are test
// code's: `setTimeout`/`setInterval` are wrapped to remember the timer they return, and nothing
// else. The callback is handed to Node as it is, so a timer's callback runs with no frame of ours
// in its stack (an error thrown there, or a stack it captures, shows the user's code and Node's).
// Whether a timer is still pending is Node's own flag: `_destroyed` turns true when a timeout
// fires or any timer is cleared (by object or by id), so `clear*` need no wrapping either.
// Timers that are done are dropped at each count, before every GC of the harness (the sampler
// calls `forgetDone`), and whenever the set has doubled since the last sweep: the harness never
// keeps more than a few dozen finished timers (and what their callbacks hold) alive, and none
// through a GC that reads the heap.

const KEY = Symbol.for('vitest-memory.timers')
/** Node's own name for "fired or cleared" on a Timeout (lib/internal/timers.js). */
const DESTROYED = '_destroyed'

/** Node's Timeout object, as far as tracking it goes. */
type Timer = { hasRef?: () => boolean; [DESTROYED]?: boolean }
interface Tracking {
  live: Set<Timer>
  /** Sweep when the set reaches this size (twice what the last sweep left, at least SWEEP_MIN). */
  sweepAt: number
  /** Above 0 while the DB fixtures' own engine runs: timers it sets are not the test's. */
  paused: number
}

const SWEEP_MIN = 64

function copyExtras(from: object, to: object): void {
  for (const key of Reflect.ownKeys(from)) {
    if (['length', 'name', 'prototype', 'arguments', 'caller'].includes(key as string)) continue
    Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key)!)
  }
}

/** Wrap `setTimeout`/`setInterval` on `target` (once) to remember the timers test code starts. */
export function trackTimers(target: typeof globalThis = globalThis): Tracking {
  const g = target as unknown as { [KEY]?: Tracking }
  if (g[KEY]) return g[KEY]
  const tracking: Tracking = { live: new Set(), sweepAt: SWEEP_MIN, paused: 0 }
  g[KEY] = tracking
  const wrap = <F extends (...args: never[]) => unknown>(original: F): F => {
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const timer = (original as unknown as (...a: unknown[]) => unknown).apply(this, args)
      // Node's timers are objects with `_destroyed`; anything else (a number from a DOM-like
      // environment's timers) cannot be followed and is not counted.
      if (tracking.paused === 0 && typeof timer === 'object' && timer !== null && (timer as Timer)[DESTROYED] === false) {
        tracking.live.add(timer as Timer)
        if (tracking.live.size >= tracking.sweepAt) forgetDone(tracking)
      }
      return timer
    }
    // Keep what other code reads off these functions (util.promisify.custom, for one).
    copyExtras(original, wrapped)
    return wrapped as unknown as F
  }
  target.setTimeout = wrap(target.setTimeout)
  target.setInterval = wrap(target.setInterval)
  return tracking
}

/**
 * Run `fn` (synchronous) without counting the timers it starts: for engines the DB fixtures own,
 * whose timers are theirs, not the running test's. Does nothing before the harness is loaded.
 */
export function untrackedTimers<T>(fn: () => T, target: typeof globalThis = globalThis): T {
  const tracking = (target as unknown as { [KEY]?: Tracking })[KEY]
  if (!tracking) return fn()
  tracking.paused++
  try {
    return fn()
  } finally {
    tracking.paused--
  }
}

/** Drop the timers that fired or were cleared. */
export function forgetDone(tracking: Tracking): void {
  for (const t of tracking.live) if (t[DESTROYED] !== false) tracking.live.delete(t)
  tracking.sweepAt = Math.max(SWEEP_MIN, tracking.live.size * 2)
}

/** Timers started by test code that are still pending and keep the process alive. */
export function liveTimers(tracking: Tracking): number {
  forgetDone(tracking)
  let n = 0
  for (const t of tracking.live) if (typeof t.hasRef !== 'function' || t.hasRef()) n++
  return n
}
