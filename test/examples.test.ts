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
      // The auto run diagnoses its flagged tests (the default); the exact run does not, so the two
      // also show that diagnosis changes no verdict. Seven heap snapshots: seconds each on a busy machine.
      runFixture(example('leaky'), ['run'], { env: { VITEST_MEMORY_MODE: 'auto', VITEST_MEMORY_DIAGNOSE: '' }, timeoutMs: 590_000 }),
      runFixture(example('leaky'), ['run'], { env: { VITEST_MEMORY_MODE: 'exact' }, timeoutMs: 590_000 }),
    ])
    Object.assign(runs, { auto, exact })
  }, 600_000)

  const leaks = [
    'unbounded cache keeps every key',
    'log buffer is never cleared (seeds/004)',
    'listeners pile up on a long-lived emitter',
    'pipeline queues far more commands than there are items (seeds/000)',
    'global error list keeps every error and its context (seeds/001)',
    'a global metadata registry keeps every engine (seeds/002)',
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
    expect(output).toContain('Most retained')
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

  test('each seed names its culprit, where it was allocated and what holds it', () => {
    const { report, output } = runs.auto!
    const culprits: Array<[string, RegExp, string]> = [
      // [test, an allocation site (file:line of the allocating function), the holder's path]
      ['unbounded cache keeps every key', /^src\/leaks\.ts:7 lookupPrice$/, 'module src/leaks.ts > cache (Map)'],
      // The strings come from the test's body; add() and its push are inlined there by V8.
      ['log buffer is never cleared (seeds/004)', /^leaks\.test\.ts:10 \(anonymous\)$/, 'module src/leaks.ts > sharedBuffer (LineBuffer) > lines (Array)'],
      // handleRequest (line 34), or the test body (line 15) when V8 inlined it there (Node 22 does).
      ['listeners pile up on a long-lived emitter', /^(src\/leaks\.ts:34 handleRequest|leaks\.test\.ts:15 \(anonymous\))$/, 'module src/leaks.ts > bus (EventEmitter) > _events (Object) > shutdown (Array)'],
      ['pipeline queues far more commands than there are items (seeds/000)', /^src\/leaks\.ts:47 set$/, 'module src/leaks.ts > pipeline (Pipeline) > queue (Array)'],
      ['global error list keeps every error and its context (seeds/001)', /^src\/leaks\.ts:61 risky$/, 'module src/leaks.ts > errorLog (Array)'],
      // createEngine (line 84) or its mapping callbacks (line 85), as V8 inlined them or not.
      ['a global metadata registry keeps every engine (seeds/002)', /^src\/leaks\.ts:(84 createEngine|85 \(anonymous\))$/, 'module src/leaks.ts > metadata (MetaData) > engines (Array)'],
      // handle() (line 14), or the test body (line 20) when V8 inlined it there (Node 20 does).
      ['a small listener leak, confirmed by repetition', /^diagnosis\.test\.ts:(14 handle|20 \(anonymous\))$/, 'module diagnosis.test.ts > server (EventEmitter) > _events (Object) > close (Array)'],
    ]
    for (const [name, site, path] of culprits) {
      const d = report!.tests.find((t) => t.name.endsWith(name))!.diagnosis
      expect(d, name).toBeDefined()
      const sites = d!.sites.map((s) => `${s.file}:${s.line} ${s.function}`)
      expect(sites.some((s) => site.test(s)), `${name}: ${sites.join(', ')}`).toBe(true)
      expect(d!.paths[0]?.path, name).toBe(path)
    }
    expect(report!.tests.filter((t) => t.verdict === 'pass').every((t) => t.diagnosis === undefined)).toBe(true)
    expect(output).toContain('held by: module src/leaks.ts > sharedBuffer (LineBuffer) > lines (Array)')
    expect(runs.exact!.report!.tests.every((t) => t.diagnosis === undefined)).toBe(true)
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
