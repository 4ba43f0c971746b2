// The Postgres fixtures end to end: the Vitest CLI with the memory plugin on
// test/fixtures/pg-basic, on PGlite and on a real PostgreSQL server (started for this file by
// test/helpers/postgres.ts, or DATABASE_URL). Each run checks rollback isolation across files
// and workers, savepoints, seeds, the misuse messages, and what the memory report says about
// clients, pools, pool clients and PGlite instances a test leaves open.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { findTest, runFixture, type RunResult } from '../helpers/run-vitest.ts'
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts'

/** Tests that must fail, and what their failure must say. */
const EXPECTED_FAILURES: Record<string, RegExp[]> = {
  'fails: commits its transaction': [/test "fails: commits its transaction" broke the test isolation: no transaction was active at its end/, /database was rebuilt/],
  'fails: commits and begins again': [/test "fails: commits and begins again" broke the test isolation: the fixture's savepoint was gone at its end/],
  'fails: runs concurrently': [/test "fails: runs concurrently" runs concurrently \(test\.concurrent/, /remove \.concurrent/],
}

const SERVER_LEAKS: Record<string, Record<string, number>> = {
  'leaves a client connected': { 'pg Client': 1, TCPSocketWrap: 1 },
  'leaves a pool open': { 'pg Pool': 1, TCPSocketWrap: 1 },
  'checks out a pool client and never releases it': { 'pg Pool': 1, 'pg pool client not released': 1, TCPSocketWrap: 1 },
}

function checkCommon({ code, report, output }: RunResult, leaks: string[], strict = false): void {
  expect(report, output).toBeDefined()
  expect(code, output).toBe(1)
  for (const t of report!.tests) {
    const fails = t.name in EXPECTED_FAILURES || (strict && leaks.includes(t.name))
    expect(t.state, `${t.name}\n${output}`).toBe(fails ? 'failed' : 'passed')
  }
  for (const patterns of Object.values(EXPECTED_FAILURES)) for (const pattern of patterns) expect(output).toMatch(pattern)
  // Isolation: both files ran their three tests on an empty database.
  expect(report!.tests.filter((t) => t.name.endsWith(' starts empty and inserts') && t.state === 'passed')).toHaveLength(6)
  // Only the tests that leak a connection leave handles open: never the fixture's own
  // connection or PGlite, its timers, nor a pool that was ended (its sockets closed first).
  const left = report!.tests.filter((t) => t.handlesLeft).map((t) => t.name).sort()
  expect(left, output).toEqual([...leaks].sort())
}

describe.concurrent('pg-basic fixture project', () => {
  let server: PostgresServer | undefined
  beforeAll(async () => {
    server = await startPostgres()
  }, 180_000)
  afterAll(() => server?.stop())

  test('PGlite: isolation, savepoints, seeds, misuse, and a PGlite instance left open', async () => {
    // One worker for every file: one PGlite serves them all (PGlite takes seconds to start).
    const result = await runFixture('pg-basic', ['run', '--no-isolate', '--maxWorkers=1'], { env: { PG_ENGINE: 'pglite' }, timeoutMs: 560_000 })
    checkCommon(result, ['leaves a PGlite instance open'])
    // The instance may also have armed Postgres's idle-statistics timer (its own, so counted).
    expect(findTest(result.report, 'leaves a PGlite instance open').handlesLeft).toMatchObject({ PGlite: 1 })
  }, 600_000)

  test('server: isolation across workers, misuse, and the clients, pools and pool clients left open (seed 003)', async () => {
    const result = await runFixture('pg-basic', ['run'], { env: { PG_ENGINE: 'server', DATABASE_URL: server!.url }, timeoutMs: 560_000 })
    checkCommon(result, Object.keys(SERVER_LEAKS))
    for (const [name, left] of Object.entries(SERVER_LEAKS)) {
      // A pool also keeps its idle-timeout timer running.
      const rest = { ...findTest(result.report, name).handlesLeft }
      delete rest.Timeout
      expect(rest, name).toEqual(left)
    }
  }, 600_000)

  test('server with a handles budget: each leaking test fails, naming what it left open', async () => {
    const result = await runFixture('pg-basic', ['run'], { env: { PG_ENGINE: 'server', DATABASE_URL: server!.url, STRICT: '1' }, timeoutMs: 560_000 })
    checkCommon(result, Object.keys(SERVER_LEAKS), true)
    expect(result.output).toMatch(/pg pool client not released/)
    expect(result.output).toMatch(/pg Client/)
  }, 600_000)
})
