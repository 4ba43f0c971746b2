// examples/db shows MEM-001 next to its fix; this keeps the demo honest: the engine-per-test
// file is flagged (RSS over its file budget, every test leaving an engine open) and the
// fixture file is not.
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { repoDir, runFixture } from '../helpers/run-vitest.ts'

test('examples/db: the engine-per-test file is flagged, the fixture file stays flat', async () => {
  const { code, output, report } = await runFixture(join(repoDir, 'examples/db'))
  expect(report, output).toBeDefined()
  expect(code, output).toBe(1)
  expect(report!.tests.every((t) => t.state === 'passed'), output).toBe(true)

  const bad = report!.files.find((f) => f.file === 'engine-per-test.test.ts')!
  const good = report!.files.find((f) => f.file === 'fixture.test.ts')!
  expect(bad.verdict).toBe('fail')
  expect(bad.violations?.map((v) => v.metric)).toEqual(['rss'])
  expect(good.verdict, output).toBe('pass')
  // The 150 engines left open hold ~28 MB of native memory (~190 kB each) that the fixture never makes.
  expect((bad.rssPeak - bad.rssBefore) - (good.rssPeak - good.rssBefore)).toBeGreaterThan(15_000_000)

  const testsOf = (file: string) => report!.tests.filter((t) => t.file === file)
  expect(testsOf('engine-per-test.test.ts')).toHaveLength(150)
  expect(testsOf('engine-per-test.test.ts').every((t) => t.handlesLeft?.['better-sqlite3 Database'] === 1)).toBe(true)
  expect(testsOf('fixture.test.ts').filter((t) => t.handlesLeft)).toEqual([])
  expect(output).toMatch(/FAIL engine-per-test\.test\.ts \(whole file\)\s+file peak RSS [\d.]+ MB above start, budget 24 MB/)
})
