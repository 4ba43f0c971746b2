#!/usr/bin/env node
// How much do per-test readings move between identical runs? That noise sets the default
// tolerance of the baseline comparison (docs/baseline.md): a test is a regression only when it
// grew more than the relative AND the absolute tolerance, so the defaults must sit above what
// unchanged tests do from run to run.
//
//   node bench/baseline-noise.mjs [--runs 5] [--exact-runs 3] [--files 12] [--tests 30]
//
// Generates a suite under test/.tmp/baseline-noise (clean tests, transient allocations, small
// and large retention), runs it --runs times in auto mode and --exact-runs times in exact mode,
// and prints, per metric (retained, peak above start) and mode, the spread (max - min) of each
// test's readings over the runs: percentiles of the absolute spread, and of the relative spread
// for tests whose reading is at least 1 MB. Writes its results into bench/results/baseline-noise.json
// under the Node major it ran on (node20, node22...).
// Needs a built dist/ (npm run build).
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const WORK = join(ROOT, 'test', '.tmp', 'baseline-noise')
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'exact-runs': { type: 'string', default: '3' },
    files: { type: 'string', default: '12' },
    tests: { type: 'string', default: '30' },
    'no-write': { type: 'boolean', default: false },
  },
})
const RUNS = Number(args.runs)
const EXACT_RUNS = Number(args['exact-runs'])
const FILES = Number(args.files)
const TESTS = Number(args.tests)

function body(f, k) {
  const n = 50 + ((f * 7 + k * 3) % 200)
  switch (k % 6) {
    case 0: // clean, small
      return `const list = Array.from({ length: ${n} }, (_, i) => ({ id: i, name: 'u' + i }))
    expect(list.filter((u) => u.id % 2).length).toBeGreaterThan(0)`
    case 1: // clean, string work
      return `const text = Array.from({ length: ${n} }, (_, i) => 'word' + (i % 13)).join(' ')
    const counts = {}
    for (const w of text.split(' ')) counts[w] = (counts[w] ?? 0) + 1
    expect(Object.keys(counts).length).toBeGreaterThan(1)`
    case 2: // transient allocation of a few MB: high peak, nothing retained
      return `const rows = Array.from({ length: ${50_000 + n * 100} }, (_, i) => ({ id: i, name: 'row ' + i }))
    expect(rows.filter((r) => r.id % 2 === 0).length).toBeGreaterThan(0)`
    case 3: // retains ~50 kB in module state
      return `kept.push(Array.from({ length: 1000 }, (_, i) => ({ i })))
    expect(kept.length).toBeGreaterThan(0)`
    case 4: // retains ~1.6 MB
      return `kept.push(Array.from({ length: 40_000 }, (_, i) => ({ i, s: 'k' + i })))
    expect(kept.length).toBeGreaterThan(0)`
    default: // clean, JSON round trip
      return `const o = { id: ${k}, items: Array.from({ length: ${n} }, (_, i) => ({ i, tags: ['a', 'b'] })) }
    expect(JSON.parse(JSON.stringify(o))).toEqual(o)`
  }
}

function prepare() {
  rmSync(WORK, { recursive: true, force: true })
  mkdirSync(join(WORK, 'tests'), { recursive: true })
  for (let f = 0; f < FILES; f++) {
    const tests = Array.from({ length: TESTS }, (_, k) => `  test('case ${k}', () => {\n    ${body(f, k)}\n  })\n`).join('\n')
    writeFileSync(join(WORK, 'tests', `f${String(f).padStart(2, '0')}.test.js`), `import { describe, expect, test } from 'vitest'\nconst kept = []\ndescribe('file ${f}', () => {\n${tests}})\n`)
  }
  for (const mode of ['auto', 'exact']) {
    writeFileSync(join(WORK, `vitest.${mode}.config.mjs`), `import memory from 'vitest-memory'
import { defineConfig } from 'vitest/config'
export default defineConfig({
  plugins: [memory({ mode: '${mode}', outputFile: 'reports/${mode}.json', baseline: false, html: false, markdown: false, terminal: 'off' })],
  test: { include: ['tests/**/*.test.js'] },
})
`)
  }
}

function run(mode) {
  const r = spawnSync(process.execPath, [VITEST, 'run', '--config', `vitest.${mode}.config.mjs`], { cwd: WORK, encoding: 'utf8', env: { ...process.env, CI: 'true', VITEST_MEMORY_MODE: '' } })
  if (r.status !== 0) throw new Error(`vitest failed:\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(readFileSync(join(WORK, 'reports', `${mode}.json`), 'utf8'))
}

function pct(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function spread(reports, metric) {
  const byTest = new Map()
  for (const report of reports) {
    for (const t of report.tests) {
      if (t.precision === 'shared') continue
      const v = metric === 'retained' ? t.retained : t.peakHeap - t.heapBefore
      const key = `${t.file} > ${t.name}`
      if (!byTest.has(key)) byTest.set(key, [])
      byTest.get(key).push(v)
    }
  }
  const abs = []
  const rel = []
  for (const values of byTest.values()) {
    const lo = Math.min(...values)
    const hi = Math.max(...values)
    abs.push(hi - lo)
    const mid = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    if (mid >= 1_000_000) rel.push((hi - lo) / mid)
  }
  abs.sort((a, b) => a - b)
  rel.sort((a, b) => a - b)
  const kb = (n) => Math.round(n / 100) / 10
  return {
    tests: abs.length,
    absoluteKB: { p50: kb(pct(abs, 50)), p90: kb(pct(abs, 90)), p99: kb(pct(abs, 99)), max: kb(abs.at(-1) ?? 0) },
    relativeOver1MB: { tests: rel.length, p50: +pct(rel, 50).toFixed(3), p90: +pct(rel, 90).toFixed(3), max: +(rel.at(-1) ?? 0).toFixed(3) },
  }
}

prepare()
const results = { node: process.version, cpus: os.cpus().length, files: FILES, testsPerFile: TESTS, modes: {} }
for (const [mode, n] of [['auto', RUNS], ['exact', EXACT_RUNS]]) {
  if (n === 0) continue
  const reports = []
  for (let i = 0; i < n; i++) {
    process.stdout.write(`${mode} run ${i + 1}/${n}\r`)
    reports.push(run(mode))
  }
  results.modes[mode] = { runs: n, retained: spread(reports, 'retained'), peak: spread(reports, 'peak') }
}
console.log(JSON.stringify(results, null, 2))
if (!args['no-write']) {
  // One entry per Node major: run it with each Node you support (e.g. compat/vitest5's Node 22).
  const file = join(ROOT, 'bench', 'results', 'baseline-noise.json')
  mkdirSync(dirname(file), { recursive: true })
  let all = {}
  try {
    all = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    // first run
  }
  all[`node${process.versions.node.split('.')[0]}`] = { ...results, date: new Date().toISOString() }
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`)
}
rmSync(WORK, { recursive: true, force: true })
