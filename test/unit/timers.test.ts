import { expect, test } from 'vitest'
import { forgetDone, liveTimers, trackTimers } from '../../src/worker/timers.ts'

// Each call tracks its own copy of the timer functions, never the globals.
const tracked = () => {
  const target = { setTimeout, setInterval, clearTimeout, clearInterval } as unknown as typeof globalThis
  return { target, tracking: trackTimers(target) }
}

test('pending timers count until they fire or are cleared, by object or by id; unref-ed ones never', async () => {
  const { target, tracking } = tracked()
  const a = target.setTimeout(() => {}, 60_000)
  const b = target.setInterval(() => {}, 60_000)
  const c = target.setTimeout(() => {}, 60_000)
  target.setTimeout(() => {}, 60_000).unref()
  const fired = new Promise((resolve) => target.setTimeout(resolve, 1))
  expect(liveTimers(tracking)).toBe(4)
  await fired
  expect(liveTimers(tracking)).toBe(3)
  clearTimeout(a)
  clearInterval(b)
  clearTimeout(Number(c))
  expect(liveTimers(tracking)).toBe(0)
})

test('finished timers are not kept: the set is swept as it grows, and emptied of them by forgetDone', async () => {
  const { target, tracking } = tracked()
  for (let i = 0; i < 500; i++) await new Promise((resolve) => target.setTimeout(resolve, 0))
  // Swept whenever it doubles since the last sweep (64 at least): never near the 500 that fired.
  expect(tracking.live.size).toBeLessThanOrEqual(64)
  forgetDone(tracking)
  expect(tracking.live.size).toBe(0)
})

test('a callback is handed to Node as it is: no frame of the tracking in its stack', async () => {
  const { target } = tracked()
  const stack = await new Promise<string>((resolve) => target.setTimeout(function probe() {
    resolve(new Error('probe').stack!)
  }, 0))
  const frames = stack.split('\n').slice(1)
  expect(frames[0]).toMatch(/probe/)
  expect(frames.slice(1).every((f) => f.includes('node:internal/timers'))).toBe(true)
})
