import { beforeAll, expect, test } from 'vitest'
import { findTest, runFixture, type RunResult } from '../helpers/run-vitest.ts'

let run: RunResult
beforeAll(async () => {
  run = await runFixture('repeat')
})

test('a test that leaks on every run is reported as a leak, with its rate and what grew', () => {
  const t = findTest(run.report, 'leaks 16 kB per run')
  expect(t.repeat).toMatchObject({ verdict: 'leak', signal: 'heap' })
  expect(t.repeat!.perRun).toBeGreaterThan(14_000)
  expect(t.repeat!.perRun).toBeLessThan(20_000)
  expect(t.verdict).toBe('fail')
  expect(t.repeat!.runs).toHaveLength(2 + 10)
  expect(run.output).toMatch(/MemoryBudgetError: leaks 1\d\.\d kB of heap per run: \d+ of 10 counted runs grew/)
})

test('object kinds that grew are named from heap snapshots', () => {
  const t = findTest(run.report, 'leaks Session objects')
  expect(t.repeat?.verdict).toBe('leak')
  expect(t.repeat?.grew?.map((g) => g.kind)).toContain('Session')
  const session = t.repeat!.grew!.find((g) => g.kind === 'Session')!
  expect(session.count).toBe(50)
  expect(run.output).toMatch(/object kinds that grew in the last run: .*Session \+50/)
})

test('one-time growth is not a leak', () => {
  const t = findTest(run.report, 'grows once: a lazy singleton')
  expect(t.repeat?.verdict).toBe('one-time')
  expect(t.repeat!.runs[0]!.heap).toBeGreaterThan(900_000)
  expect(t.verdict).toBe('pass')
})

test('a clean test is not a leak', () => {
  const t = findTest(run.report, 'clean')
  expect(t.repeat?.verdict).not.toBe('leak')
  expect(t.verdict).toBe('pass')
})

test('native memory: a Buffer leak is flagged by external memory, with the heap flat', () => {
  const t = findTest(run.report, 'leaks Buffers: external memory, flat heap')
  expect(t.repeat).toMatchObject({ verdict: 'leak', signal: 'external' })
  expect(t.repeat!.perRun).toBeGreaterThan(250_000)
  expect(run.output).toMatch(/leaks 25\d kB of external memory per run/)
})

test('repetition is per glob or per test: other tests run once', () => {
  expect(findTest(run.report, 'not repeated unless asked').repeat).toBeUndefined()
  const own = findTest(run.report, 'asks for repetition itself')
  expect(own.repeat?.runs).toHaveLength(1 + 4)
  expect(own.repeat?.verdict).toBe('leak')
})

test('the run fails because of the leaks, and says so once per leaking test', () => {
  expect(run.code).toBe(1)
  expect(run.output.match(/MemoryBudgetError: leaks/g)).toHaveLength(4)
})
