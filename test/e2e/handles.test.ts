import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test.each(['forks', 'threads', 'vmThreads'])('handles a test leaves open are reported by type, and only those (%s)', async (pool) => {
  const { code, output, report } = await runFixture('handles', ['run', `--pool=${pool}`])
  expect(code, output).toBe(0)
  expect(findTest(report, 'leaves an interval running').handlesLeft).toEqual({ Timeout: 1 })
  expect(findTest(report, 'leaves a server listening').handlesLeft).toEqual({ TCPServerWrap: 1 })
  expect(findTest(report, 'clears its own timers').handlesLeft).toBeUndefined()
  expect(findTest(report, 'an unref-ed timer does not hold the process').handlesLeft).toBeUndefined()
  // No false reports from Vitest's own timers: 30 clean tests, none with a handle left.
  const clean = report!.tests.filter((t) => t.name.startsWith('clean '))
  expect(clean).toHaveLength(30)
  expect(clean.filter((t) => t.handlesLeft).map((t) => [t.name, t.handlesLeft])).toEqual([])
})
