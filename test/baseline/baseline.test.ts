// The baseline's pure parts: the file format (stable, one line per test), the comparison rule
// (both tolerances), and what an update keeps, adds and removes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  baselineFromReport, compareBaselines, compareEntry, key, readBaseline, serializeBaseline, updateBaseline, type Baseline,
} from '../../src/node/baseline.ts'
import { syntheticReport } from '../html/synthetic-report.mjs'

// Tighter than the defaults, so the cases can use round numbers.
const tolerance = { retained: { relative: 0.2, absolute: 500_000 }, peak: { relative: 0.4, absolute: 2_000_000 } }
const dir = mkdtempSync(join(tmpdir(), 'vitest-memory-baseline-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function baseline(tests: Baseline['tests'], files: Baseline['files'] = {}): Baseline {
  return { schemaVersion: 1, tests, files }
}

describe('compareEntry: a change counts only beyond both tolerances', () => {
  const base = { retained: 1_000_000, peak: 4_000_000 }
  test.each([
    ['within both (+100 kB, +10%)', base, { retained: 1_100_000, peak: 4_000_000 }, 'same'],
    ['beyond the absolute tolerance only (+600 kB of 10 MB is +6%)', { retained: 10_000_000, peak: 4_000_000 }, { retained: 10_600_000, peak: 4_000_000 }, 'same'],
    ['beyond the relative tolerance only (+300 kB is +30%)', base, { retained: 1_300_000, peak: 4_000_000 }, 'same'],
    ['beyond both (+600 kB, +60%)', base, { retained: 1_600_000, peak: 4_000_000 }, 'regressed'],
    ['peak beyond both (+4 MB, +100%)', base, { retained: 1_000_000, peak: 8_000_000 }, 'regressed'],
    ['shrunk beyond both (-700 kB, -70%)', base, { retained: 300_000, peak: 4_000_000 }, 'improved'],
  ])('%s', (_name, was, now, status) => {
    expect(compareEntry(now, was, tolerance).status).toBe(status)
  })

  test('a regression says what grew, from what, by how much', () => {
    const d = compareEntry({ retained: 1_600_000, peak: 4_000_000 }, base, tolerance)
    expect(d).toEqual({
      status: 'regressed',
      retained: 1_000_000,
      peak: 4_000_000,
      retainedDelta: 600_000,
      peakDelta: 0,
      messages: ['retained 1.6 MB after GC, baseline 1 MB (+600 kB, +60%)'],
    })
  })

  test('a regression wins over an improvement of the other metric', () => {
    const d = compareEntry({ retained: 2_000_000, peak: 100_000 }, base, tolerance)
    expect(d.status).toBe('regressed')
    expect(d.messages).toHaveLength(2)
    expect(d.messages![1]).toMatch(/^peak heap 100 kB above start, baseline 4 MB \(-3\.9 MB, -97%\)$/)
  })

  test('negative retained readings (memory freed that the test did not allocate) count as 0', () => {
    expect(compareEntry({ retained: 300_000, peak: 0 }, { retained: -400_000, peak: 0 }, tolerance).status).toBe('same')
    expect(compareEntry({ retained: 600_000, peak: 0 }, { retained: -400_000, peak: 0 }, tolerance).status).toBe('regressed')
  })
})

describe('the file', () => {
  const b = baseline({
    '': {
      'b.test.ts': { zeta: { retained: 1, peak: 2 }, alpha: { retained: 3.4, peak: 4 } },
      'a.test.ts': { 'with "quotes" and </script>': { retained: 5, peak: 6 } },
    },
    unit: { 'a.test.ts': { x: { retained: 7, peak: 8 } } },
  }, { '': { 'a.test.ts': { retained: 9, peak: 10 } } })

  test('is sorted, one line per test and per file, and reads back', () => {
    const text = serializeBaseline(b)
    const lines = text.split('\n')
    expect(lines).toContain('        "alpha": { "retained": 3, "peak": 4 },')
    expect(lines).toContain('        "zeta": { "retained": 1, "peak": 2 }')
    expect(lines).toContain('        "with \\"quotes\\" and </script>": { "retained": 5, "peak": 6 }')
    expect(lines).toContain('      "a.test.ts": { "retained": 9, "peak": 10 }')
    expect(text.indexOf('"a.test.ts"')).toBeLessThan(text.indexOf('"b.test.ts"'))
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'))
    expect(text.indexOf('"": {')).toBeLessThan(text.indexOf('"unit": {'))
    const path = join(dir, 'roundtrip.json')
    writeFileSync(path, text)
    const read = readBaseline(path)
    expect(read.status).toBe('ok')
    expect(serializeBaseline((read as { baseline: Baseline }).baseline)).toBe(text)
  })

  test('is the same text whatever order the entries were added in', () => {
    const reversed = baseline(Object.fromEntries(Object.entries(b.tests).toReversed().map(([p, files]) => [p, Object.fromEntries(Object.entries(files).toReversed())])), b.files)
    expect(serializeBaseline(reversed)).toBe(serializeBaseline(b))
  })

  test('an empty baseline is valid', () => {
    const path = join(dir, 'empty.json')
    writeFileSync(path, serializeBaseline(baseline({})))
    expect(readBaseline(path).status).toBe('ok')
  })
})

describe('readBaseline: a missing or broken file is a message, never an exception', () => {
  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  test('missing', () => {
    expect(readBaseline(join(dir, 'nope.json'), 'nope.json')).toEqual({
      status: 'missing',
      message: 'no baseline at nope.json yet: nothing to compare with. Write one with VITEST_MEMORY_UPDATE_BASELINE=1 vitest run and commit it.',
    })
  })
  test.each([
    ['not JSON', '{ "schemaVersion": 1, ', /the baseline x\.json is not valid JSON \(.*\)\. Fix it, or write it again with VITEST_MEMORY_UPDATE_BASELINE=1 vitest run/],
    ['a merge conflict', '{\n<<<<<<< HEAD\n  "schemaVersion": 1\n=======\n>>>>>>> main\n}', /contains git merge conflict markers\. Resolve the conflict \(keep either side\), or write it again/],
    ['another schema version', '{ "schemaVersion": 2, "tests": {}, "files": {} }', /schemaVersion must be 1, got 2/],
    ['no tests object', '{ "schemaVersion": 1, "files": {} }', /"tests" must be an object/],
    ['a bad entry', '{ "schemaVersion": 1, "tests": { "": { "a.test.ts": { "t": { "retained": "1 MB", "peak": 1 } } } }, "files": {} }', /tests\[""\]\["a\.test\.ts"\]\["t"\]\.retained must be a number of bytes, got "1 MB"/],
    ['a report instead of a baseline', JSON.stringify({ schemaVersion: 1, summary: {}, tests: [], files: [] }), /is not a vitest-memory baseline: it is a vitest-memory report; make a baseline from a report with npx vitest-memory baseline update <report\.json>/],
  ])('%s', (_name, text, message) => {
    const result = readBaseline(write(`${_name.replace(/\W/g, '_')}.json`, text), 'x.json')
    expect(result.status).toBe('corrupt')
    expect((result as { message: string }).message).toMatch(message)
  })
})

describe('compareBaselines', () => {
  const base = baseline({
    '': {
      'a.test.ts': { kept: { retained: 1000, peak: 1000 }, leaks: { retained: 1000, peak: 1000 }, removed: { retained: 1000, peak: 1000 } },
      'filtered.test.ts': { other: { retained: 1000, peak: 1000 } },
      'deleted.test.ts': { old: { retained: 1000, peak: 1000 } },
    },
  }, { '': { 'a.test.ts': { retained: 3000, peak: 3000 } } })
  const head = baseline({
    '': { 'a.test.ts': { kept: { retained: 1200, peak: 900 }, leaks: { retained: 5_000_000, peak: 6_000_000 }, added: { retained: 1, peak: 1 } } },
  }, { '': { 'a.test.ts': { retained: 5_003_000, peak: 6_000_000 } } })

  test('regressed, same and new tests; files are compared too', () => {
    const c = compareBaselines(base, head, tolerance, { isGone: (_p, file) => file === 'deleted.test.ts' })
    expect(c.tests.get(key('', 'a.test.ts', 'kept'))?.status).toBe('same')
    expect(c.tests.get(key('', 'a.test.ts', 'leaks'))?.status).toBe('regressed')
    expect(c.tests.get(key('', 'a.test.ts', 'added'))).toEqual({ status: 'new' })
    expect(c.files.get(key('', 'a.test.ts'))?.status).toBe('regressed')
    expect(c.summary).toEqual({ compared: 3, regressed: 2, improved: 0, new: 1, gone: 2, notRun: 1 })
  })

  test('gone: missing from a file that ran, or from a file that no longer exists; a filtered-out file is "not run"', () => {
    const c = compareBaselines(base, head, tolerance, { isGone: (_p, file) => file === 'deleted.test.ts' })
    expect(c.gone).toEqual([
      { project: '', file: 'a.test.ts', name: 'removed' },
      { project: '', file: 'deleted.test.ts', name: 'old' },
    ])
    expect(c.notRun).toBe(1)
  })

  test('projects are kept apart', () => {
    const a = baseline({ unit: { 'x.test.ts': { t: { retained: 0, peak: 0 } } } })
    const b = baseline({ e2e: { 'x.test.ts': { t: { retained: 5_000_000, peak: 0 } } } })
    const c = compareBaselines(a, b, tolerance)
    expect(c.summary).toMatchObject({ compared: 0, regressed: 0, new: 1, gone: 1 })
  })
})

describe('updateBaseline', () => {
  const old = baseline({
    '': {
      'a.test.ts': { steady: { retained: 1000, peak: 50_000 }, grows: { retained: 1000, peak: 50_000 }, skipped: { retained: 7, peak: 7 }, removed: { retained: 1, peak: 1 } },
      'other.test.ts': { untouched: { retained: 5, peak: 5 } },
      'deleted.test.ts': { gone: { retained: 5, peak: 5 } },
    },
  }, { '': { 'a.test.ts': { retained: 10_000, peak: 100_000 } } })
  const head = baseline({
    '': { 'a.test.ts': { steady: { retained: 1400, peak: 52_000 }, grows: { retained: 3_000_000, peak: 3_100_000 }, fresh: { retained: 2, peak: 3 } } },
  }, { '': { 'a.test.ts': { retained: 3_010_000, peak: 3_200_000 } } })
  const isGone = (_p: string, file: string) => file === 'deleted.test.ts'
  const comparison = compareBaselines(old, head, tolerance, { isGone })

  test("'changed' rewrites only what moved beyond the tolerance, adds new tests, keeps unmeasured ones and files that did not run, drops gone ones", () => {
    const result = updateBaseline(old, head, comparison, { update: 'changed', unmeasured: new Set([key('', 'a.test.ts', 'skipped')]), isGone })
    expect(result.baseline.tests['']).toEqual({
      'a.test.ts': { steady: { retained: 1000, peak: 50_000 }, grows: { retained: 3_000_000, peak: 3_100_000 }, fresh: { retained: 2, peak: 3 }, skipped: { retained: 7, peak: 7 } },
      'other.test.ts': { untouched: { retained: 5, peak: 5 } },
    })
    expect(result.baseline.files['']).toEqual({ 'a.test.ts': { retained: 3_010_000, peak: 3_200_000 } })
    expect(result).toMatchObject({ added: 1, changed: 1, removed: 2, kept: 3 })
  })

  test('one changed test is a one-line diff', () => {
    const before = serializeBaseline(old)
    const onlyGrows = baseline({ '': { 'a.test.ts': { steady: { retained: 1000, peak: 50_000 }, grows: { retained: 3_000_000, peak: 3_100_000 }, skipped: { retained: 7, peak: 7 }, removed: { retained: 1, peak: 1 } } } }, old.files)
    const c = compareBaselines(old, onlyGrows, tolerance, { isGone: () => false })
    const after = serializeBaseline(updateBaseline(old, onlyGrows, c, { update: 'changed', isGone: () => false }).baseline)
    const a = before.split('\n')
    const b = after.split('\n')
    expect(b).toHaveLength(a.length)
    const changed = a.map((line, i) => [line, b[i]]).filter(([x, y]) => x !== y)
    expect(changed).toEqual([['        "grows": { "retained": 1000, "peak": 50000 },', '        "grows": { "retained": 3000000, "peak": 3100000 },']])
  })

  test("'all' rewrites every value", () => {
    const result = updateBaseline(old, head, comparison, { update: 'all', isGone })
    expect(result.baseline.tests['']!['a.test.ts']!.steady).toEqual({ retained: 1400, peak: 52_000 })
  })

  test('no previous baseline: everything is added', () => {
    const result = updateBaseline(undefined, head, undefined, { update: 'changed' })
    expect(result).toMatchObject({ added: 3, changed: 0, removed: 0, kept: 0 })
    expect(result.baseline).toEqual(head)
  })
})

describe('baselineFromReport', () => {
  test('takes retained and peak above start, leaves concurrent tests out, and numbers duplicate names', () => {
    const report = syntheticReport({ tests: 4, files: 1, names: (i) => (i < 2 ? 'same name' : `t${i}`) })
    report.tests[3]!.precision = 'shared'
    const b = baselineFromReport(report)
    const file = report.tests[0]!.file
    expect(Object.keys(b.tests['']![file]!).sort()).toEqual(['same name', 'same name #2', 't2'])
    const t = report.tests.find((x) => x.name === 't2')!
    expect(b.tests['']![file]!.t2).toEqual({ retained: t.retained, peak: t.peakHeap - t.heapBefore })
    expect(b.files['']![file]).toEqual({ retained: report.files[0]!.retained, peak: report.files[0]!.peakHeap - report.files[0]!.heapBefore })
  })
})

describe('names that are keys of Object.prototype are keys like any other', () => {
  const e = { retained: 100, peak: 200 }
  const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']

  test('a baseline read from a file: compared, gone and kept by their own entries', () => {
    const text = serializeBaseline(baseline({ '': { 'a.test.ts': Object.fromEntries(names.map((n) => [n, e])) } }))
    const path = join(dir, 'prototype-names.json')
    writeFileSync(path, text)
    const read = readBaseline(path)
    if (read.status !== 'ok') throw new Error(read.message)
    // The run has only `constructor` and a test that is new: the other four are gone, not matched to Object.prototype.
    const head = baseline({ '': { 'a.test.ts': { other: e } } })
    head.tests['']!['a.test.ts'] = Object.assign(Object.create(null) as Record<string, typeof e>, { constructor: e, other: e })
    const comparison = compareBaselines(read.baseline, head, tolerance)
    expect(comparison.summary).toMatchObject({ compared: 1, new: 1, gone: 4 })
    expect(comparison.gone.map((g) => g.name)).toEqual(['__proto__', 'hasOwnProperty', 'toString', 'valueOf'])
    const unmeasured = new Set([key('', 'a.test.ts', '__proto__')])
    const updated = updateBaseline(read.baseline, head, comparison, { update: 'changed', unmeasured })
    expect(Object.keys(updated.baseline.tests['']!['a.test.ts']!).sort()).toEqual(['__proto__', 'constructor', 'other'])
    expect(updated).toMatchObject({ added: 1, kept: 2, removed: 3 })
    expect(serializeBaseline(updated.baseline)).toContain('"__proto__": { "retained": 100, "peak": 200 }')
  })

  test('a project or file named like a prototype key', () => {
    const report = syntheticReport({ tests: 2, files: 1 })
    for (const t of report.tests) Object.assign(t, { project: 'constructor', file: '__proto__', precision: 'exact' })
    report.files[0]!.project = 'constructor'
    report.files[0]!.file = '__proto__'
    const built = baselineFromReport(report)
    expect(Object.keys(built.tests)).toEqual(['constructor'])
    expect(Object.keys(built.tests.constructor!)).toEqual(['__proto__'])
    expect(compareBaselines(emptyish(), built, tolerance).summary).toMatchObject({ new: 2, compared: 0, gone: 0 })
  })
})

function emptyish(): Baseline {
  return JSON.parse(serializeBaseline(baseline({}))) as Baseline
}
