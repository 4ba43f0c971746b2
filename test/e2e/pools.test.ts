import { describe, expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

describe.each(['forks', 'threads', 'vmForks', 'vmThreads'])('pool %s', (pool) => {
  test('every test is measured and the leak is caught', async () => {
    const { code, output, report } = await runFixture('pools', ['run', `--pool=${pool}`])
    expect(code, output).toBe(1)
    expect(report?.pools).toEqual([pool])
    expect(report?.tests).toHaveLength(6)
    expect(findTest(report, 'leaks 3 MB')).toMatchObject({ verdict: 'fail', state: 'failed' })
    expect(report!.tests.filter((t) => t.verdict === 'pass')).toHaveLength(5)
    expect(report!.tests.every((t) => t.worker.pool === pool)).toBe(true)
    expect(report?.files).toHaveLength(2)
    if (pool.toLowerCase().includes('threads')) {
      expect(report?.notes.join(' ')).toContain('RSS is per process')
      expect(report!.tests[0]!.worker.id).toMatch(/^\d+\/\d+$/)
    } else {
      expect(report!.tests[0]!.worker.id).toMatch(/^\d+$/)
    }
    expect(output).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV')
  })
})

test('isolated threads, one at a time: every file is measured (the setup file runs in each fresh worker)', async () => {
  const { code, output, report } = await runFixture('pools', ['run', '--pool=threads', '--maxWorkers=1'])
  expect(code, output).toBe(1)
  expect(report?.files).toHaveLength(2)
  expect(report?.tests).toHaveLength(6)
  expect(new Set(report!.tests.map((t) => t.worker.id)).size).toBe(2)
})

test('isolate: false, one worker: every file is measured and the worker series spans both', async () => {
  const { code, output, report } = await runFixture('pools', ['run', '--no-isolate', '--maxWorkers=1'])
  expect(code, output).toBe(1)
  expect(report?.files).toHaveLength(2)
  expect(report?.tests).toHaveLength(6)
  expect(report?.workers).toHaveLength(1)
  const worker = report!.workers[0]!
  expect(worker.files).toBe(2)
  expect(worker.tests).toBe(6)
  // Two exact points per file and one per test, in time order.
  expect(worker.series).toHaveLength(2 * 2 + 6)
  const times = worker.series.map((p) => p[0])
  expect(times).toEqual([...times].sort((a, b) => a - b))
})

describe.each(['dot', 'verbose', 'default'])('alongside --reporter=%s', (reporter) => {
  test('the memory summary is printed once', async () => {
    const { output, report } = await runFixture('pools', ['run', `--reporter=${reporter}`])
    expect(report?.tests).toHaveLength(6)
    expect(output.match(/ MEMORY /g)).toHaveLength(1)
    expect(output).toContain('Report: .vitest-memory/report.json')
  })
})
