import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('a worker that dies mid-test still leaves a report naming the test it was running', async () => {
  const { code, output, report } = await runFixture('crash')
  expect(code, output).not.toBe(0)
  expect(report, output).toBeDefined()
  expect(report!.interrupted).toEqual([expect.objectContaining({ file: 'crash.test.ts', name: 'kills its own worker' })])
  expect(findTest(report, 'another file is unaffected').verdict).toBe('pass')
  expect(output).toMatch(/STOPPED crash\.test\.ts > kills its own worker/)
  expect(report!.notes.join(' ')).toContain('their worker stopped while they ran')
})
