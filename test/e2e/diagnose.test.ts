// Allocation sites and retainer paths for flagged tests, on leaks at known lines in TS source
// (test/fixtures/diagnose/src/store.ts).
import { beforeAll, describe, expect, test } from 'vitest'
import { findTest, runFixture, type RunResult } from '../helpers/run-vitest.ts'

// VITEST_MEMORY_DIAGNOSE empty: the option's default, 'flagged'.
describe('diagnose: flagged (the default)', () => {
  let run: RunResult
  beforeAll(async () => {
    run = await runFixture('diagnose', ['run'], { env: { VITEST_MEMORY_DIAGNOSE: '' } })
  })

  test('each flagged test names its allocating function in the .ts source and the variable that holds it', () => {
    expect(run.code, run.output).toBe(1)
    const registry = findTest(run.report, 'registry keeps every entry')
    expect(registry.verdict).toBe('fail')
    const sites = registry.diagnosis!.sites.map((s) => `${s.file}:${s.line}:${s.column} ${s.function}`)
    // `register` starts at line 7, column 17 of store.ts; the keys come from the test's body (line 4).
    expect(sites).toContain('src/store.ts:7:17 register')
    expect(sites.some((s) => s.startsWith('leaks.test.ts:4:'))).toBe(true)
    expect(registry.diagnosis!.paths[0]!.path).toBe('module src/store.ts > registry (Map)')

    const history = findTest(run.report, 'history keeps every line')
    expect(history.diagnosis!.sites[0]).toMatchObject({ file: 'leaks.test.ts', line: 14 })
    // The registry is larger, but it did not grow since the last diagnosis: the history did.
    expect(history.diagnosis!.paths[0]!.path).toBe('module src/store.ts > history (Array)')
    expect(history.diagnosis!.paths[0]!.bytesBefore).toBeLessThan(history.diagnosis!.paths[0]!.bytes)
  })

  test('the failure message carries the short form: two sites, one path', () => {
    expect(run.output).toMatch(/allocated at: (src\/store\.ts:7:17 register|leaks\.test\.ts:4:\d+ \(anonymous\)) \([\d.]+ [kM]B\), /)
    expect(run.output).toMatch(/held by: module src\/store\.ts > registry \(Map\) \([\d.]+ MB\)/)
    expect(run.output).toMatch(/held by: module src\/store\.ts > history \(Array\) \([\d.]+ MB, \+[\d.]+ [kM]B since the last diagnosis\)/)
  })

  test('a passing test is not diagnosed', () => {
    const clean = findTest(run.report, 'a clean test in between')
    expect(clean.verdict).toBe('pass')
    expect(clean.diagnosis).toBeUndefined()
  })
})

test('diagnose: false (VITEST_MEMORY_DIAGNOSE=off) keeps verdicts and adds no diagnosis', async () => {
  const run = await runFixture('diagnose', ['run'], { env: { VITEST_MEMORY_DIAGNOSE: 'off' } })
  expect(run.code, run.output).toBe(1)
  expect(run.report!.tests.map((t) => t.verdict).sort()).toEqual(['fail', 'fail', 'pass'])
  expect(run.report!.tests.every((t) => t.diagnosis === undefined)).toBe(true)
  expect(run.output).not.toContain('allocated at:')
})

test('diagnose: all, in a thread pool (the inspector session is the worker thread\'s own)', async () => {
  const run = await runFixture('diagnose', ['run', '--pool', 'threads'], { env: { VITEST_MEMORY_DIAGNOSE: 'all' } })
  expect(run.code, run.output).toBe(1)
  // Every measured test is diagnosed, the passing one too; its verdict stays.
  const clean = findTest(run.report, 'a clean test in between')
  expect(clean.verdict).toBe('pass')
  expect(clean.diagnosis).toMatchObject({ sites: expect.any(Array), paths: expect.any(Array) })
  // Nothing failed; an empty diagnosis says why it is empty.
  const { sites, paths, skipped } = clean.diagnosis!
  expect(skipped).toEqual(sites.length || paths.length ? undefined : expect.stringMatching(/^nothing to name in project code: .* held by a dependency or by Vitest$/))
  const registry = findTest(run.report, 'registry keeps every entry')
  expect(registry.diagnosis!.skipped).toBeUndefined()
  expect(registry.diagnosis!.sites.map((s) => `${s.file}:${s.line} ${s.function}`)).toContain('src/store.ts:7 register')
  expect(registry.diagnosis!.paths[0]!.path).toBe('module src/store.ts > registry (Map)')
})

test('a module evaluated again after vi.resetModules() is named by its file, at its top level', async () => {
  // V8 gives that top-level frame no position (-1), which the source-map lookup rejected.
  const run = await runFixture('diagnose-reset', ['run'], { env: { VITEST_MEMORY_DIAGNOSE: '' } })
  expect(run.code, run.output).toBe(1)
  const reset = findTest(run.report, 'a fresh copy of a module per import')
  expect(reset.verdict).toBe('fail')
  expect(reset.diagnosis!.skipped).toBeUndefined()
  expect(reset.diagnosis!.sites[0]).toMatchObject({ file: 'src/heavy.ts', line: 1, column: 1, function: '(module top level)' })
  expect(run.output).toMatch(/allocated at: src\/heavy\.ts:1:1 \(module top level\)/)
})
