import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('two projects: one reporter, both measured, each in its own pool', async () => {
  const { code, output, report } = await runFixture('projects')
  expect(code, output).toBe(1)
  expect(output.match(/ MEMORY /g)).toHaveLength(1)
  expect(findTest(report, 'alpha leaks')).toMatchObject({ project: 'alpha', verdict: 'fail' })
  expect(findTest(report, 'beta is clean')).toMatchObject({ project: 'beta', verdict: 'pass' })
  expect(findTest(report, 'beta is clean').worker.pool).toBe('threads')
  expect(report?.pools).toEqual(['forks', 'threads'])
})
