// The baseline flow as users run it: no baseline yet, write it (VITEST_MEMORY_UPDATE_BASELINE=1),
// compare, regress, accept the change, break the file; plus GitHub Actions output and the
// annotations Vitest's own surfaces show. One copy of test/fixtures/baseline-basic, steered
// through the environment, runs after run (the steps depend on each other).
import { readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { copyFixture, findTest, runVitest, type RunResult } from '../helpers/run-vitest.ts'

const BASELINE = 'vitest-memory.baseline.json'

// Every report of the flow must match the published schema, baseline sections included.
const require = createRequire(import.meta.url)
const schema = JSON.parse(readFileSync(join(dirname(require.resolve('vitest-memory/package.json')), 'docs/report-schema.json'), 'utf8')) as object
type Ajv2020Class = typeof Ajv2020Module.default
const Ajv2020: Ajv2020Class = (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class)
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, validateFormats: false }).compile(schema)

let dir: string
const read = (name: string) => readFileSync(join(dir, name), 'utf8')
const run = (env: Record<string, string> = {}, args: string[] = ['run']) => runVitest(dir, args, { env: { VITEST_MEMORY_UPDATE_BASELINE: '', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...env } })
const baselineOf = (r: RunResult) => {
  if (!r.report?.baseline) throw new Error(`no baseline section in the report; output:\n${r.output}`)
  expect(validate(r.report), JSON.stringify(validate.errors, null, 2)).toBe(true)
  return r.report.baseline
}

beforeAll(() => {
  dir = copyFixture('baseline-basic')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('baseline flow', () => {
  test('no baseline yet: a notice, the run passes, nothing is written', async () => {
    const r = await run()
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ status: 'missing', verdict: 'unchecked', file: BASELINE })
    expect(baselineOf(r).message).toContain('Write one with VITEST_MEMORY_UPDATE_BASELINE=1 vitest run and commit it.')
    expect(existsSync(join(dir, BASELINE))).toBe(false)
    // The fixture configures `baseline`, so the terminal says it too (with no `baseline` option only the report and the summary do).
    expect(r.stdout).toContain(' BASELINE  no baseline at vitest-memory.baseline.json yet')
    expect(read('.vitest-memory/summary.md')).toContain('no baseline at vitest-memory.baseline.json yet')
  })

  test('VITEST_MEMORY_UPDATE_BASELINE=1 writes it: every measured test, one line each, sorted', async () => {
    const r = await run({ VITEST_MEMORY_UPDATE_BASELINE: '1' })
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ status: 'updated', update: { added: 5, changed: 0, removed: 0, kept: 0 } })
    expect(r.stdout).toContain('updated vitest-memory.baseline.json (new file): 5 added')
    const text = read(BASELINE)
    const names = [...text.matchAll(/^ {8}"([^"]+)": \{ "retained": -?\d+, "peak": -?\d+ \},?$/gm)].map((m) => m[1])
    expect(names).toEqual(['grows when LEAK_MB is set', 'original test', 'steady', 'in another file', 'a large transient allocation'])
    expect(text).not.toContain('skipped for now')
    expect(JSON.parse(text).files['']).toHaveProperty(['leak.test.ts'])
  })

  test('a run compares and passes, and never touches the file', async () => {
    const before = read(BASELINE)
    const mtime = statSync(join(dir, BASELINE)).mtimeMs
    const r = await run()
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ status: 'compared', verdict: 'pass', summary: { regressed: 0, new: 0, gone: 0 } })
    expect(findTest(r.report, 'steady').baseline).toMatchObject({ status: 'same', retained: expect.any(Number) })
    expect(read(BASELINE)).toBe(before)
    expect(statSync(join(dir, BASELINE)).mtimeMs).toBe(mtime)
  })

  test('a test that grew beyond the tolerance fails the run and says by how much; the file stays as it was', async () => {
    const before = read(BASELINE)
    const summaryFile = join(dir, 'step-summary.md')
    writeFileSync(summaryFile, '# earlier step\n')
    const r = await run({ LEAK_MB: '4', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: dir })
    expect(r.code, r.output).toBe(1)
    const leak = findTest(r.report, 'grows when LEAK_MB is set')
    expect(leak.baseline?.status).toBe('regressed')
    expect(leak.baseline?.messages?.[0]).toMatch(/^retained 4\.\d+ MB after GC, baseline -?\d+(\.\d+)? k?B \(\+[34](\.\d+)? MB(, \+\d+%)?\)$/)
    expect(baselineOf(r)).toMatchObject({ status: 'compared', verdict: 'fail', summary: { regressed: 2 } })
    expect(r.stdout).toMatch(/REGRESSED leak\.test\.ts > grows when LEAK_MB is set\n\s+retained 4\.\d+ MB after GC/)
    expect(r.stdout).toContain('accept it with VITEST_MEMORY_UPDATE_BASELINE=1 vitest run and commit vitest-memory.baseline.json')
    expect(read(BASELINE)).toBe(before)

    // GitHub Actions: an annotation at the test's line (the plugin turns includeTaskLocation on there)...
    expect(r.stdout).toMatch(/^::error file=leak\.test\.ts,line=6,title=Memory regression%3A grows when LEAK_MB is set::retained 4\.\d+ MB after GC/m)
    expect(r.stdout).toMatch(/^::error file=leak\.test\.ts,title=Memory regression%3A leak\.test\.ts \(whole file\)::/m)
    // ...the warn-mode budget as a warning...
    expect(r.stdout).toMatch(/^::warning file=warn\.test\.ts,line=3,title=Memory budget%3A a large transient allocation::peak heap .* above start, budget 1 MB/m)
    // ...and the Markdown summary appended to the step summary.
    const summary = readFileSync(summaryFile, 'utf8')
    expect(summary.startsWith('# earlier step\n')).toBe(true)
    expect(summary).toContain('## ❌ vitest-memory: 1 warning, 2 regressed')
    expect(summary).toContain('### Regressed against the baseline')
    expect(summary).toMatch(/\| leak\.test\.ts &gt; grows when LEAK\\_MB is set \| .* → 4\.\d+ MB \|/)
    // The same summary is written to .vitest-memory/summary.md, and the HTML report beside it.
    expect(read('.vitest-memory/summary.md')).toContain('### Regressed against the baseline')
    expect(read('.vitest-memory/report.html')).toContain('<script type="application/json" id="report-data">')
  })

  test("flagged tests carry their verdict as Vitest annotations (the UI's and HTML reporter's per-test information)", async () => {
    const r = await run({ LEAK_MB: '4' })
    expect(r.code, r.output).toBe(1)
    const annotations = JSON.parse(read('annotations.json')) as Record<string, Array<{ type: string; message: string }>>
    expect(annotations['grows when LEAK_MB is set']).toContainEqual({ type: 'vitest-memory', message: expect.stringMatching(/^memory regression \(baseline fail\): retained 4\.\d+ MB after GC, baseline/) })
    expect(annotations['a large transient allocation']).toContainEqual(expect.objectContaining({ type: 'vitest-memory', message: expect.stringMatching(/^memory warn: peak heap .* above start, budget 1 MB/) }))
    expect(annotations.steady).toEqual([])
  })

  test('warn mode reports the regression and passes', async () => {
    const r = await run({ LEAK_MB: '4', BASELINE_MODE: 'warn' })
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ mode: 'warn', verdict: 'warn', summary: { regressed: 2 } })
  })

  test('accepting the change rewrites only the tests that moved', async () => {
    const before = read(BASELINE).split('\n')
    const r = await run({ LEAK_MB: '4', VITEST_MEMORY_UPDATE_BASELINE: '1' })
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ status: 'updated', update: { added: 0, changed: 1, removed: 0 } })
    const after = read(BASELINE).split('\n')
    expect(after).toHaveLength(before.length)
    const changed = after.filter((line, i) => line !== before[i])
    expect(changed).toHaveLength(2)
    expect(changed[0]).toMatch(/^ {8}"grows when LEAK_MB is set": \{ "retained": 4\d{6}, "peak": \d+ \},$/)
    expect(changed[1]).toMatch(/^ {6}"leak\.test\.ts": \{ "retained": \d+, "peak": \d+ \},$/)
    // And now the leak is the baseline: the same run passes.
    const again = await run({ LEAK_MB: '4' })
    expect(again.code, again.output).toBe(0)
    expect(baselineOf(again).summary?.regressed).toBe(0)
  })

  test('a renamed test is new, its old name gone; both listed, the run passes', async () => {
    const r = await run({ LEAK_MB: '4', RENAME: '1' })
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r)).toMatchObject({ summary: { new: 1, gone: 1 }, gone: [{ project: '', file: 'leak.test.ts', name: 'original test' }] })
    expect(findTest(r.report, 'renamed test').baseline).toEqual({ status: 'new' })
    expect(r.stdout).toMatch(/GONE\s+leak\.test\.ts > original test/)
  })

  test('a filtered run compares what ran; the other files are "not run", not gone, and an update keeps them', async () => {
    const r = await run({ LEAK_MB: '4' }, ['run', 'other'])
    expect(r.code, r.output).toBe(0)
    expect(baselineOf(r).summary).toMatchObject({ compared: 2, gone: 0, notRun: 4 })
    const update = await run({ LEAK_MB: '4', VITEST_MEMORY_UPDATE_BASELINE: '1' }, ['run', 'other'])
    expect(update.code, update.output).toBe(0)
    expect(JSON.parse(read(BASELINE)).tests['']['leak.test.ts']).toHaveProperty(['grows when LEAK_MB is set'])
  })

  test('a corrupt baseline: a clear message, the run still reports, fails in fail mode, and the file is not overwritten', async () => {
    const broken = `${read(BASELINE).slice(0, 200)}\n<<<<<<< HEAD\n`
    writeFileSync(join(dir, BASELINE), broken)
    const r = await run({ LEAK_MB: '4' })
    expect(r.code, r.output).toBe(1)
    expect(r.report?.tests.length).toBeGreaterThan(0)
    expect(baselineOf(r)).toMatchObject({ status: 'corrupt', verdict: 'fail' })
    expect(r.stdout).toContain('the baseline vitest-memory.baseline.json contains git merge conflict markers')
    expect(read(BASELINE)).toBe(broken)
    // The update flow is the fix the message names: it writes the file again.
    const fixed = await run({ LEAK_MB: '4', VITEST_MEMORY_UPDATE_BASELINE: '1' })
    expect(fixed.code, fixed.output).toBe(0)
    expect(baselineOf(fixed).message).toMatch(/^updated vitest-memory\.baseline\.json \(it was unreadable: .*merge conflict markers/)
    expect(JSON.parse(read(BASELINE)).schemaVersion).toBe(1)
  })
})
