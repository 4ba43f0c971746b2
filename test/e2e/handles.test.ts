import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test.each(['forks', 'threads', 'vmThreads'])('handles a test leaves open are reported by type, and only those (%s)', async (pool) => {
  const { code, output, report } = await runFixture('handles', ['run', `--pool=${pool}`])
  expect(code, output).toBe(0)
  expect(report?.tests).toHaveLength(36)
  expect(findTest(report, 'leaves an interval running').handlesLeft).toEqual({ Timeout: 1 })
  expect(findTest(report, 'leaves a server listening').handlesLeft).toEqual({ TCPServerWrap: 1 })
  expect(findTest(report, 'clears its own timers').handlesLeft).toBeUndefined()
  expect(findTest(report, 'an unref-ed timer does not hold the process').handlesLeft).toBeUndefined()
  // No false reports from Vitest's own timers: 30 clean tests, none with a handle left.
  const clean = report!.tests.filter((t) => t.name.startsWith('clean '))
  expect(clean).toHaveLength(30)
  expect(clean.filter((t) => t.handlesLeft).map((t) => [t.name, t.handlesLeft])).toEqual([])
})

test('opt-in budgets: handles left open and external memory fail the tests that caused them, naming the signal', async () => {
  const { code, output, report } = await runFixture('handles', ['run'], { env: { STRICT: '1' } })
  expect(code).toBe(1)
  const failed = report!.tests.filter((t) => t.verdict === 'fail').map((t) => [t.name, t.violations!.map((v) => v.metric)])
  expect(failed.sort()).toEqual([
    ['keeps a Buffer alive: the heap stays flat, external memory grows', ['external']],
    ['leaves a server listening', ['handles']],
    ['leaves an interval running', ['handles']],
  ])
  expect(output).toContain('MemoryBudgetError: left 1 handle open (1 Timeout), budget 0')
  expect(output).toContain('MemoryBudgetError: left 1 handle open (1 TCPServerWrap), budget 0')
  // "what grew" says how the heap figure was read: "after GC" only after a full GC (issue 15, item 5).
  const interval = findTest(report, 'leaves an interval running')
  const heap = output.match(/left 1 handle open \(1 Timeout\), budget 0\s+what grew: (heap [^,]+),/)?.[1]
  const label = { exact: /^heap [-+][\d.]+ [kMG]?B after GC$/, bounded: /^heap [-+][\d.]+ [kMG]?B after GC$/, estimate: /^heap ≤[-+][\d.]+ [kMG]?B without a full GC$/, shared: /^$/ }[interval.precision]
  expect(heap, output).toMatch(label)
  expect(output).toMatch(/MemoryBudgetError: external memory 3(\.0\d)? MB after GC, budget 1 MB/)
  // The 3 MB live outside the V8 heap; the heap figure stays far below it (Node 20 moves ~250 kB on its own).
  expect(findTest(report, 'keeps a Buffer alive: the heap stays flat, external memory grows').retained).toBeLessThan(1_000_000)
})
