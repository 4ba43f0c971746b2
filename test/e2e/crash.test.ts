import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('a worker that dies mid-test still leaves a report naming the test it was running', async () => {
  const { code, output, report } = await runFixture('crash')
  expect(code, output).not.toBe(0)
  expect(report, output).toBeDefined()
  expect(report!.interrupted).toEqual([expect.objectContaining({ file: 'crash.test.ts', name: 'kills its own worker' })])
  expect(findTest(report, 'another file is unaffected').verdict).toBe('pass')
  // The test that passed right before the crash, in the same file: its reading had not reached the
  // main process when the worker died (Vitest sends updates every 100 ms); the worker noted it on disk.
  expect(findTest(report, 'finishes first')).toMatchObject({ file: 'crash.test.ts', state: 'passed', verdict: 'pass', precision: expect.any(String) })
  expect(output).toMatch(/Worker died while these tests ran\n  DIED    crash\.test\.ts > kills its own worker/)
  expect(output).not.toContain('STOPPED')
  expect(report!.notes.join(' ')).toContain('their worker stopped while they ran')
})

test('a worker that dies in the harness end reading is reported with the test, as it died (the running note names it until the reading is on disk)', async () => {
  const { code, output, report } = await runFixture('crash-end')
  expect(code, output).not.toBe(0)
  expect(report!.interrupted, output).toEqual([expect.objectContaining({ file: 'end.test.ts', name: 'dies in the harness end reading', died: expect.objectContaining({ pid: expect.any(Number), rss: expect.any(Number) }) })])
  expect(findTest(report, 'passes before').verdict).toBe('pass')
  expect(output).toMatch(/DIED {4}end\.test\.ts > dies in the harness end reading\n\s+died by itself/)
})
