import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('better-sqlite3 engines a test leaves open are counted without importing vitest-memory/db', async () => {
  const { code, output, report } = await runFixture('sqlite-open', ['run', '--reporter=default'])
  expect(code, output).toBe(0)
  expect(findTest(report, 'opens an engine and never closes it (MEM-001)').handlesLeft).toEqual({ 'better-sqlite3 Database': 1 })
  expect(findTest(report, 'opens an engine and closes it').handlesLeft).toBeUndefined()
  // Engines opened before the test (top of the file, beforeAll) are not the test's, even on first use.
  expect(findTest(report, 'first use of engines opened at the top of the file and in beforeAll').handlesLeft).toBeUndefined()
  // An engine is counted from its creation, not from its first statement.
  expect(findTest(report, 'opens an engine and never uses it').handlesLeft).toEqual({ 'better-sqlite3 Database': 1 })
  expect(output).toContain('2 tests left handles open')
})
