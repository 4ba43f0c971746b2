// The DB fixtures end to end: the Vitest CLI with the memory plugin on test/fixtures/db-basic,
// in forks with per-file isolation, and with one worker running every file (isolate: false)
// in threads and in forks. Each run checks isolation, misuse messages, the engine sharing, the
// per-worker database files, and what the memory report says about engines left open.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { copyFixture, findTest, runVitest, type RunResult } from '../helpers/run-vitest.ts'

const ENGINE = 'better-sqlite3 Database'

/** Tests that must fail, and what their failure must say. */
const EXPECTED_FAILURES: Record<string, RegExp[]> = {
  'fails: commits its transaction': [/test "fails: commits its transaction" broke the test isolation: no transaction was active at its end/, /database was rebuilt/],
  'fails: runs concurrently': [/test "fails: runs concurrently" runs concurrently \(test\.concurrent/, /remove \.concurrent/],
  'fails: leaves an iterator open': [/1 statement iterator was still open at the end of the test/, /call iterator\.return\(\)/],
  'fails: hands an async callback to a transaction': [/a transaction callback is async/, /Transaction function cannot return a promise/],
  'fails: the test after a late write is told, and sees clean data': [/1 row change reached the database between tests, after test "writes after it ended \(the next test is told\)" ended/],
  'fails: leaves a deferred foreign-key violation': [/PRAGMA foreign_key_check found 1 foreign-key violation .*children rowid 1 -> parents/],
}

interface EngineLine { files: string[]; engines: number; opened: number; closed: number; leftOpen: number }

function engineLines(output: string): EngineLine[] {
  return [...output.matchAll(/^ENGINE (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as EngineLine)
}

async function run(args: string[]): Promise<RunResult & { dbFilesLeft: string[] }> {
  const dir = copyFixture('db-basic')
  try {
    const result = await runVitest(dir, ['run', ...args])
    const dbfiles = join(dir, 'dbfiles')
    return { ...result, dbFilesLeft: existsSync(dbfiles) ? readdirSync(dbfiles) : [] }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function checkCommon(result: RunResult & { dbFilesLeft: string[] }): void {
  const { report, output } = result
  expect(report, output).toBeDefined()
  expect(result.code, output).toBe(1)
  for (const t of report!.tests) {
    const expected = EXPECTED_FAILURES[t.name]
    expect(t.state, `${t.name}\n${output}`).toBe(expected ? 'failed' : 'passed')
  }
  expect(report!.tests.filter((t) => t.state === 'failed')).toHaveLength(Object.keys(EXPECTED_FAILURES).length)
  for (const patterns of Object.values(EXPECTED_FAILURES)) {
    for (const pattern of patterns) expect(output).toMatch(pattern)
  }
  // The harness names the test that left an engine open; the fixtures' own engines are never counted.
  expect(findTest(report, 'leaves an engine open').handlesLeft).toEqual({ [ENGINE]: 1 })
  const others = report!.tests.filter((t) => t.name !== 'leaves an engine open' && t.handlesLeft?.[ENGINE])
  expect(others.map((t) => t.name)).toEqual([])
  // Per-worker database files are removed when the worker ends.
  expect(result.dbFilesLeft).toEqual([])
}

describe.concurrent('db-basic fixture project', () => {
  test('forks, one worker per file: every file gets its own engine', async () => {
    const result = await run([])
    checkCommon(result)
    const lines = engineLines(result.output)
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line).toMatchObject({ files: [expect.any(String)], engines: 1, opened: 1, closed: 0, leftOpen: 0 })
  })

  test.each([['threads'], ['forks']])('%s, isolate: false, one worker: one engine serves every file', async (pool) => {
    const result = await run([`--pool=${pool}`, '--no-isolate', '--maxWorkers=1'])
    checkCommon(result)
    const lines = engineLines(result.output)
    expect(lines).toHaveLength(2)
    const last = lines.find((l) => l.files.length === 2)
    expect(last, result.output).toBeDefined()
    expect(last!.files.sort()).toEqual(['A', 'B'])
    expect(last!.engines).toBe(1)
    // One worker ran all six files; it opened one engine per configuration (main, file-backed,
    // deferred foreign keys), never one per file.
    expect(last!.opened).toBeLessThanOrEqual(3)
    expect(new Set(result.report!.tests.map((t) => t.worker.id)).size).toBe(1)
  })
})
