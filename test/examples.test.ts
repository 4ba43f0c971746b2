import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { repoDir, runFixture, type RunResult } from './helpers/run-vitest.ts'

const example = (name: string) => join(repoDir, 'examples', name)

test('examples/basic passes and prints one quiet line', async () => {
  const { code, output, report } = await runFixture(example('basic'))
  expect(code, output).toBe(0)
  expect(report?.tests).toHaveLength(4)
  expect(report?.tests.every((t) => t.verdict === 'pass')).toBe(true)
  expect(output).toMatch(/ MEMORY  4 tests in 2 files measured \(auto mode\), all within budget · most retained .* · report \.vitest-memory\/report\.json/)
})

describe('examples/leaky', () => {
  const runs: Partial<Record<'auto' | 'exact', RunResult>> = {}
  beforeAll(async () => {
    const [auto, exact] = await Promise.all([
      runFixture(example('leaky'), ['run'], { env: { VITEST_MEMORY_MODE: 'auto' } }),
      runFixture(example('leaky'), ['run'], { env: { VITEST_MEMORY_MODE: 'exact' } }),
    ])
    Object.assign(runs, { auto, exact })
  })

  const leaks = [
    'unbounded cache keeps every key',
    'log buffer is never cleared (seeds/004)',
    'listeners pile up on a long-lived emitter',
    'pipeline queues far more commands than there are items (seeds/000)',
    'global error list keeps every error and its context (seeds/001)',
    'a small listener leak, confirmed by repetition',
  ]

  test.each(['auto', 'exact'] as const)('%s mode: every leak is flagged, no control is', (mode) => {
    const { code, output, report } = runs[mode]!
    expect(code, output).toBe(1)
    const flagged = report!.tests.filter((t) => t.verdict === 'fail').map((t) => t.name.split(' > ').at(-1))
    expect(flagged.sort()).toEqual([...leaks].sort())
    const controls = report!.tests.filter((t) => t.file === 'controls.test.ts')
    expect(controls).toHaveLength(5)
    expect(controls.every((t) => t.verdict === 'pass' && t.state === 'passed')).toBe(true)
    expect(output).toContain('Most retained (after GC)')
    expect(output).toContain('Heap over the run, per worker')
  })

  test('repetition tells the small leak from one-time growth and says what grew', () => {
    const { report, output } = runs.auto!
    const leak = report!.tests.find((t) => t.name === 'a small listener leak, confirmed by repetition')!
    expect(leak.repeat).toMatchObject({ verdict: 'leak', signal: 'heap' })
    expect(leak.repeat!.grew!.map((g) => g.kind)).toContain('(closure)')
    const once = report!.tests.find((t) => t.name === 'a lazy singleton: one-time growth, not a leak')!
    expect(once.repeat?.verdict).toBe('one-time')
    expect(once.verdict).toBe('pass')
    expect(output).toMatch(/leaks \d+(\.\d+)? kB of heap per run: \d+ of 10 counted runs grew/)
  })

  test('auto and exact mode agree on every verdict', () => {
    const verdicts = (r: RunResult) => Object.fromEntries(r.report!.tests.map((t) => [t.name, t.verdict]))
    expect(verdicts(runs.auto!)).toEqual(verdicts(runs.exact!))
  })

  test('the log buffer (seeds/004) shows as a rising heap line in its worker', () => {
    const report = runs.auto!.report!
    const worker = report.workers.find((w) => w.id === report.tests.find((t) => t.name.includes('log buffer'))!.worker.id)!
    expect(worker.heapGrowth).toBeGreaterThan(10_000_000)
  })
})
