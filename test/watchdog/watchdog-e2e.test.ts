// The RSS watchdog end to end: a runaway test is stopped before it hurts the machine, the report
// names it with its RSS curve, the run fails with a clear message, and the other files' results
// are still in the report. A worker that dies by itself (V8 heap limit) is named too.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import { expect, test } from 'vitest'
import { findTest, runFixture, type RunResult } from '../helpers/run-vitest.ts'

const MB = 1_000_000

// Reports with stopped workers must match the published schema (as the package ships it).
const require = createRequire(import.meta.url)
const schema = JSON.parse(readFileSync(join(dirname(require.resolve('vitest-memory/package.json')), 'docs/report-schema.json'), 'utf8')) as object
type Ajv2020Class = typeof Ajv2020Module.default
const Ajv2020: Ajv2020Class = (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class)
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, validateFormats: false }).compile(schema)
function expectValid(report: unknown) {
  expect(validate(report) ? [] : validate.errors).toEqual([])
}

function expectStopped(run: RunResult, limit: number, { otherFile = true } = {}) {
  const { code, output, report } = run
  expect(code, output).not.toBe(0)
  expect(report, output).toBeDefined()
  // Named, with the stop and its curve.
  expectValid(report)
  const stopped = report!.interrupted.filter((t) => t.stopped)
  expect(stopped, output).toHaveLength(1)
  const entry = stopped[0]!
  expect(entry).toMatchObject({ file: 'grow.test.ts', name: 'grows without bound' })
  const s = entry.stopped!
  expect(s.reason).toBe('rss-limit')
  expect(s.limit).toBe(limit)
  expect(s.rss).toBeGreaterThan(limit)
  expect(s.rssCurve.length).toBeGreaterThanOrEqual(2)
  expect(s.rssCurve[s.rssCurve.length - 1]![1]).toBe(s.rss)
  // The curve rose to the limit: the test's growth, not a worker that started over it.
  expect(s.rssCurve[0]![1]).toBeLessThan(limit)
  const times = s.rssCurve.map((p) => p[0])
  expect(times).toEqual([...times].sort((a, b) => a - b))
  // Stopped long before its own 1.5 GB safety stop.
  expect(output).not.toContain('the watchdog did not stop this worker')
  // The rest of the report is there. (vm pools run every file of a worker in that one worker:
  // files queued behind the stopped test are lost with it, as in any crash of such a worker.)
  if (otherFile) expect(findTest(report, 'another file still reports').verdict).toBe('pass')
  expect(report!.tests.some((t) => t.name === 'never runs after the stop' && t.state === 'passed')).toBe(false)
  expect(report!.notes.join(' ')).toContain('The watchdog stopped 1 worker(s) whose RSS passed the hard limit')
  // The terminal says what happened and why the run failed.
  expect(output).toMatch(/Worker stopped by the watchdog while these tests ran\n  STOPPED grow\.test\.ts > grows without bound/)
  expect(output).toMatch(/stopped by the watchdog at [\d.]+ MB RSS \(limit [\d.]+ MB\) [▁▂▃▄▅▆▇█]+/)
  expect(output).toContain('vitest-memory: the watchdog stopped a worker whose RSS passed the hard limit (watchdog.rss)')
  expect(output).toMatch(/ {2}grow\.test\.ts > grows without bound \((worker|thread) \d+.*RSS [\d.]+ MB, limit [\d.]+ MB\)/)
  return s
}

test('forks: a test that grows past the limit is killed and named with its RSS curve', async () => {
  const run = await runFixture('watchdog-rss')
  const s = expectStopped(run, 300 * MB)
  expect(s.threads).toBeUndefined()
  // The killed worker is the process that ran the file's first test, whose result was kept. (A
  // worker stuck in synchronous code never sends its earlier results: Vitest batches them.)
  expect(findTest(run.report, 'first test is fine')).toMatchObject({ state: 'passed', worker: { pid: s.pid } })
  expect(run.output).toMatch(/vitest-memory watchdog: stopped worker \d+: RSS [\d.]+ MB > limit 300 MB, running grows without bound \(/)
})

test('forks: a worker stuck in synchronous code is killed too', async () => {
  const run = await runFixture('watchdog-rss', ['run'], { env: { GROW: 'sync' } })
  expectStopped(run, 300 * MB)
})

// In thread pools every worker is a thread of the Vitest process: the limit covers that process.
for (const pool of ['threads', 'vmThreads']) {
  test(`${pool}: the thread running the test is terminated, even in synchronous code`, async () => {
    const run = await runFixture('watchdog-rss', ['run', `--pool=${pool}`], { env: { GROW: 'sync', WATCHDOG_RSS: '700 MB' } })
    const s = expectStopped(run, 700 * MB, { otherFile: pool === 'threads' })
    expect(s.threads).toBe(1)
    expect(run.report!.notes.join(' ')).toContain('In thread pools the limit applies to the whole Vitest process')
    expect(run.output).toMatch(/vitest-memory watchdog: stopped thread \d+: process RSS [\d.]+ MB > limit 700 MB, running grows without bound/)
  })
}

test('a worker killed by the V8 heap limit is named in the report', async () => {
  const { code, output, report } = await runFixture('watchdog-heap')
  expect(code, output).not.toBe(0)
  expect(output).toMatch(/heap out of memory|Reached heap limit/i)
  expect(report, output).toBeDefined()
  expect(report!.interrupted).toEqual([expect.objectContaining({ file: 'heap.test.ts', name: 'fills the heap until V8 gives up' })])
  // It died by itself: the watchdog did not stop it, but kept its readings up to the end.
  expect(report!.interrupted[0]!.stopped).toBeUndefined()
  const died = report!.interrupted[0]!.died
  expect(died, output).toBeDefined()
  expect(died!.rssCurve.length).toBeGreaterThanOrEqual(1)
  expect(died!.rss).toBe(died!.rssCurve.at(-1)![1])
  expect(output).toMatch(/died by itself · last RSS reading [\d.]+ MB [▁▂▃▄▅▆▇█]+/)
  expectValid(report)
  expect(output).not.toContain('the watchdog stopped')
  expect(findTest(report, 'another file still reports').verdict).toBe('pass')
  expect(output).toMatch(/Worker died while these tests ran\n  DIED    heap\.test\.ts > fills the heap until V8 gives up/)
  expect(output).not.toContain('STOPPED')
})

test('watchdog: false leaves a growing worker alone', async () => {
  // The test's own safety stop, lowered to 400 MB here, ends it.
  const { output, report } = await runFixture('watchdog-rss', ['run'], { env: { WATCHDOG_OFF: '1', GROW_MAX: String(400 * MB) } })
  expect(output).toContain('the watchdog did not stop this worker')
  expect(report!.interrupted).toEqual([])
  expect(findTest(report, 'grows without bound').state).toBe('failed')
})
