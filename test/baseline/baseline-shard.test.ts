// Sharded runs: the shards defer the comparison (and any update) to the --merge-reports run, which
// sees every shard and makes one comparison, one JSON/HTML report and the GitHub output.
import { readFileSync, rmSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { copyFixture, findTest, runVitest } from '../helpers/run-vitest.ts'

let dir: string
beforeAll(() => {
  dir = copyFixture('baseline-shard')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const BASE_ENV = { VITEST_MEMORY_UPDATE_BASELINE: '', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' }

async function shards(env: Record<string, string>) {
  rmSync(join(dir, '.vitest-reports'), { recursive: true, force: true })
  rmSync(join(dir, '.vitest'), { recursive: true, force: true })
  const results = []
  for (const shard of ['1/2', '2/2']) {
    const r = await runVitest(dir, ['run', `--shard=${shard}`, '--reporter=blob'], { env: { ...BASE_ENV, ...env } })
    expect(r.code, r.output).toBe(0)
    expect(r.report?.baseline).toMatchObject({ status: 'deferred', verdict: 'unchecked' })
    expect(r.report?.baseline?.message).toMatch(/^shard run: the baseline is compared( and updated)? in the --merge-reports run/)
    // Annotations wait for the merge run, which would repeat them.
    expect(r.stdout).not.toMatch(/^::(error|warning)/m)
    results.push(r)
  }
  return results
}

test('an update in the shards waits for the merge run, which writes every shard\'s tests', async () => {
  await shards({ VITEST_MEMORY_UPDATE_BASELINE: '1' })
  expect(existsSync(join(dir, 'vitest-memory.baseline.json'))).toBe(false)
  const merged = await runVitest(dir, ['--merge-reports'], { env: { ...BASE_ENV, VITEST_MEMORY_UPDATE_BASELINE: '1' } })
  expect(merged.code, merged.output).toBe(0)
  expect(merged.report?.baseline).toMatchObject({ status: 'updated', update: { added: 4 } })
  const baseline = JSON.parse(readFileSync(join(dir, 'vitest-memory.baseline.json'), 'utf8'))
  expect(Object.keys(baseline.tests[''])).toEqual(['s1.test.ts', 's2.test.ts', 's3.test.ts', 's4.test.ts'])
})

test('a regression in one shard is found once, in the merge run, with one report and one set of annotations', async () => {
  await shards({ LEAK_MB: '4', GITHUB_ACTIONS: 'true' })
  const merged = await runVitest(dir, ['--merge-reports'], { env: { ...BASE_ENV, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir } })
  expect(merged.code, merged.output).toBe(1)
  const report = merged.report!
  expect(report.tests.map((t) => t.name).sort()).toEqual(['shard file 1', 'shard file 2', 'shard file 3', 'shard file 4'])
  expect(report.summary.runBudgetsDeferred).toBe(false)
  expect(report.baseline).toMatchObject({ status: 'compared', verdict: 'fail', summary: { compared: 8, regressed: 2, new: 0, gone: 0 } })
  expect(findTest(report, 'shard file 4').baseline?.status).toBe('regressed')
  expect(findTest(report, 'shard file 1').baseline?.status).toBe('same')
  // One annotation per regressed test and file, at the line recorded in the shard.
  expect(merged.stdout.match(/^::error file=s4\.test\.ts,line=5,title=Memory regression%3A shard file 4::retained 4\.\d+ MB/gm)).toHaveLength(1)
  expect(merged.stdout.match(/^::error /gm)).toHaveLength(2)
  const html = readFileSync(join(dir, '.vitest-memory/report.html'), 'utf8')
  for (const n of [1, 2, 3, 4]) expect(html).toContain(`shard file ${n}`)
})
