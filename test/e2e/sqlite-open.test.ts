import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('better-sqlite3 engines a test leaves open are counted without importing vitest-memory/db', async () => {
  const { code, output, report } = await runFixture('sqlite-open', ['run', '--reporter=default'])
  expect(code, output).toBe(0)
  expect(findTest(report, 'opens an engine and never closes it (MEM-001)').handlesLeft).toEqual({ 'better-sqlite3 Database': 1 })
  expect(findTest(report, 'opens an engine and closes it').handlesLeft).toBeUndefined()
  expect(output).toContain('1 test left handles open')
})
