// examples/db-postgres shows MEM-001 on PGlite next to its fix; this keeps the demo honest: the
// engine-per-test file is flagged (RSS over its file budget, every test leaving a PGlite
// instance open) and the fixture file is not.
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { repoDir, runFixture } from '../helpers/run-vitest.ts'

test('examples/db-postgres: the PGlite-per-test file is flagged, the fixture file is not', async () => {
  const { code, output, report } = await runFixture(join(repoDir, 'examples/db-postgres'), ['run'], { timeoutMs: 580_000 })
  expect(report, output).toBeDefined()
  expect(code, output).toBe(1)
  expect(report!.tests.every((t) => t.state === 'passed'), output).toBe(true)

  const bad = report!.files.find((f) => f.file === 'engine-per-test.test.ts')!
  const good = report!.files.find((f) => f.file === 'fixture.test.ts')!
  expect(bad.verdict, output).toBe('fail')
  expect(bad.violations?.map((v) => v.metric)).toEqual(['rss'])
  expect(good.verdict, output).toBe('pass')
  // Three instances more than the fixture's one, each holding its WebAssembly memory.
  expect((bad.rssPeak - bad.rssBefore) - (good.rssPeak - good.rssBefore)).toBeGreaterThan(300_000_000)

  const testsOf = (file: string) => report!.tests.filter((t) => t.file === file)
  expect(testsOf('engine-per-test.test.ts')).toHaveLength(4)
  expect(testsOf('engine-per-test.test.ts').every((t) => t.handlesLeft?.PGlite === 1)).toBe(true)
  expect(testsOf('fixture.test.ts').filter((t) => t.handlesLeft)).toEqual([])
  expect(output).toMatch(/FAIL engine-per-test\.test\.ts \(whole file\)\s+file peak RSS [\d.]+ GB above start, budget 1 GB/)
}, 600_000)
