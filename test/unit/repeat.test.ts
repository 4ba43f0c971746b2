import { describe, expect, test } from 'vitest'
import { decide, heapRuns, type RunDeltas } from '../../src/worker/repeat.ts'
import { ambiguous } from '../../src/worker/repeat-plan.ts'

const runs = (heap: number[], more: Partial<Record<'external' | 'rss' | 'code', number[]>> = {}): RunDeltas[] =>
  heap.map((h, i) => ({ heap: h, external: more.external?.[i] ?? 0, rss: more.rss?.[i] ?? 0, ...(more.code ? { code: more.code[i] } : {}) }))

describe('decide', () => {
  test('a steady 2 kB leak with a dip and a jump is a leak', () => {
    const d = decide(runs([3000, 2500, 2400, 2600, -8000, 2500, 2700, 260_000, 2500, 2400, 2600, 2500]), 2, 1800)
    expect(d).toEqual({ verdict: 'leak', signal: 'heap', perRun: 2500 })
  })

  test('growth in the warm-up runs only is one-time; nothing at all is clean', () => {
    expect(decide(runs([65_000, 500, 400, 600, 500, 500, 400, 600, 500, 500, 600, 400]), 2, 1800).verdict).toBe('one-time')
    expect(decide(runs([600, 500, 400, 600, 500, 3000, 400, 600, 500, 500, 600, 400]), 2, 1800).verdict).toBe('clean')
  })

  test('Buffers: external memory grows, the heap by their small wrappers', () => {
    const d = decide(runs(Array(12).fill(2_100), { external: Array(12).fill(64_000), rss: Array(12).fill(65_536) }), 2, 1800)
    expect(d).toEqual({ verdict: 'leak', signal: 'external', perRun: 64_000 })
  })

  test('native memory not reported to V8 is named by RSS, past its JS wrappers', () => {
    const d = decide(runs(Array(12).fill(2_400), { rss: Array(12).fill(1_179_648) }), 2, 1800)
    expect(d).toEqual({ verdict: 'leak', signal: 'rss', perRun: 1_179_648 })
  })

  test('a heap leak is named by the heap even though RSS grows with it', () => {
    const d = decide(runs(Array(12).fill(1_000_000), { rss: Array(12).fill(1_048_576) }), 2, 1800)
    expect(d.signal).toBe('heap')
  })

  test('runs in which V8 compiled code are left out of the heap signal when enough remain', () => {
    // The first repeated test of a worker on Node 20: tier-up metadata in half of the runs.
    const heap = [800, 600, 4000, 1000, 4000, 1000, 4000, 1000, 4000, 1000, 4000, 1000]
    const code = [0, 0, 9000, 0, 12_000, 0, 6000, 0, 6000, 0, 11_000, 0]
    expect(decide(runs(heap), 2, 1800).verdict).toBe('leak')
    expect(decide(runs(heap, { code }), 2, 1800)).toEqual({ verdict: 'clean', perRun: 1000 })
    // A real leak still shows in the quiet runs.
    expect(decide(runs(heap.map((h) => h + 2500), { code }), 2, 1800).verdict).toBe('leak')
  })

  test('too few quiet runs: all counted runs are judged', () => {
    const r = runs([0, 0, 1, 2, 3, 4, 5, 6], { code: [0, 0, 1, 1, 1, 1, 1, 0] })
    expect(heapRuns(r.slice(2))).toHaveLength(6)
    const q = runs([0, 0, 1, 2, 3, 4, 5, 6], { code: [0, 0, 0, 0, 1, 1, 1, 0] })
    expect(heapRuns(q.slice(2))).toHaveLength(3)
  })
})

describe('ambiguous: a heap leak verdict too close to call asks for more runs', () => {
  test('warm-up that wanders (a stream test under load in CI) is ambiguous; steady leaks are not', () => {
    // The 9 counted runs the plan judges one mark before the end, from the CI run that read it as a leak.
    const streams = runs([98_368, 6320, 6696, 6672, 5008, 3768, 6768, 2504, 7496, 4600, 3840])
    expect(decide(streams, 2, 1800).verdict).toBe('leak')
    expect(ambiguous(streams, 2, 1800)).toBe(true)
    // A 2 kB leak with a few hundred bytes of noise, a 5 kB one with 1.5 kB: called as they are.
    expect(ambiguous(runs([3000, 2500, 2100, 2600, 2300, 2500, 2800, 2200, 2500, 2400, 2600]), 2, 1800)).toBe(false)
    expect(ambiguous(runs([9000, 5000, 5200, 4800, 5600, 4400, 5100, 5900, 4700, 5000, 5300]), 2, 1800)).toBe(false)
    // Fast leaks are never held up, however uneven (a list that doubles its backing store).
    expect(ambiguous(runs([300_000, 20_000, 240_000, 20_000, 480_000, 20_000, 20_000, 20_000, 960_000, 20_000, 20_000]), 2, 1800)).toBe(false)
  })
})
