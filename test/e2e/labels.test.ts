import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { copyFixture, runVitest, type RunResult } from '../helpers/run-vitest.ts'

// Every figure says how it was obtained, and the summary says what it did not judge (issue 15,
// items 4 and 5): 2 plain tests, 3 concurrent ones, no file budget (file readings are estimates).
let dir: string
let quiet: RunResult
let full: RunResult
beforeAll(async () => {
  dir = copyFixture('labels')
  quiet = await runVitest(dir, ['run'])
  full = await runVitest(dir, ['run'], { env: { FULL: '1' } })
}, 120_000)
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

test('the one-line summary counts the concurrent tests as not judged, with why', () => {
  expect(quiet.code, quiet.output).toBe(0)
  expect(quiet.output).toMatch(/ MEMORY {2}5 tests in 2 files measured \(auto mode\), 2 within budget, 3 not judged \(concurrent: they share one heap\) · most retained/)
  expect(quiet.output).not.toContain('all within budget')
  const md = readFileSync(join(dir, '.vitest-memory', 'summary.md'), 'utf8')
  expect(md.split('\n')[0]).toBe('## ✅ vitest-memory: 2 within budget, 3 not judged (concurrent: they share one heap)')
})

test('the report says how each reading was taken: GCs per test, estimated files and worker growth', () => {
  const report = quiet.report as MemoryReport
  for (const t of report.tests) expect(t.harnessGcs, t.name).toEqual(expect.any(Number))
  // Concurrent tests are read with no GC at all.
  for (const t of report.tests.filter((x) => x.concurrent)) expect(t.harnessGcs).toBe(0)
  expect(report.files.map((f) => f.precision)).toEqual(['estimate', 'estimate'])
  expect(report.workers.map((w) => w.heapGrowthPrecision)).toEqual(report.workers.map(() => 'estimate'))
})

test('the full terminal summary marks every estimate and bound, with a legend, and never says "after GC" for them', () => {
  expect(full.code, full.output).toBe(0)
  const out = full.output
  expect(out).toMatch(/ MEMORY {2}5 tests in 2 files · auto mode · harness GC \d+ ms · none over budget · 3 not judged \(concurrent: they share one heap\)/)
  expect(out).toContain("Files (~ minor GC readings, not comparable with the tests' figures: set a file budget for exact ones)")
  const fileRows = out.split('\n').filter((l) => /\s(plain|concurrent)\.test\.ts$/.test(l))
  expect(fileRows).toHaveLength(2)
  for (const row of fileRows) expect(row.trim()).toMatch(/^~[-+]/)
  expect(out).toMatch(/~[-+][\d.]+ [kMG]?B, minor GC readings\)/)
  expect(out).toContain('~ an estimate, not a bound')
  expect(out).toContain('no mark: exact (full GC before and after)')
  expect(out).not.toContain('(after GC)')
  // The two plain tests' rows carry their mark (an estimate `≤`, or none when exact).
  const testRows = out.split('\n').filter((l) => / > (adds|joins)$/.test(l))
  expect(testRows.length).toBeGreaterThan(0)
  for (const row of testRows) expect(row.trim()).toMatch(/^(≤|≥)?[\d.]+ [kMG]?B /)
})
