// Projects: one baseline file, keyed by project, so the same file and test name in two projects
// are two entries, compared separately.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { copyFixture, runVitest } from '../helpers/run-vitest.ts'

let dir: string
beforeAll(() => {
  dir = copyFixture('baseline-projects')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const env = { VITEST_MEMORY_UPDATE_BASELINE: '', GITHUB_ACTIONS: '' }

test('the same test in two projects: two entries, and only the project that grew regresses', async () => {
  const update = await runVitest(dir, ['run'], { env: { ...env, VITEST_MEMORY_UPDATE_BASELINE: '1' } })
  expect(update.code, update.output).toBe(0)
  const baseline = JSON.parse(readFileSync(join(dir, 'vitest-memory.baseline.json'), 'utf8'))
  expect(Object.keys(baseline.tests).sort()).toEqual(['heavy', 'light'])
  for (const project of ['heavy', 'light']) expect(Object.keys(baseline.tests[project]['shared.test.ts'])).toEqual(['same name in both projects'])

  const r = await runVitest(dir, ['run'], { env: { ...env, LEAK_MB: '4' } })
  expect(r.code, r.output).toBe(1)
  const byProject = Object.fromEntries(r.report!.tests.map((t) => [t.project, t.baseline?.status]))
  expect(byProject).toEqual({ heavy: 'regressed', light: 'same' })
  expect(r.stdout).toMatch(/REGRESSED \[heavy\] shared\.test\.ts > same name in both projects/)
  expect(r.report!.baseline?.summary).toMatchObject({ regressed: 2, compared: 4 })
})
