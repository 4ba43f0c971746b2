#!/usr/bin/env node
// Benchmark of the core harness: what `memory()` costs in wall time and in main-process memory,
// and how noisy its per-test `retained` readings are on clean tests. See bench/README.md.
//
//   node bench/core.mjs [--runs 5] [--exact-runs 2] [--mem-runs 3] [--suites clean,heavy] [--live] [--no-memory]
//
// Generates two suites under bench/.work/core/, runs each of them plain / memory() / memory({ mode:
// 'exact' }) interleaved, and writes bench/results/core.json. Needs a built dist/ (npm run build).
// Default runs take about 8-10 minutes on 2 cores.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const WORK = join(BENCH, '.work', 'core')
const RESULTS = join(BENCH, 'results', 'core.json')
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
const VARIANTS = ['plain', 'auto', 'budget', 'exact']
/** Variants of every round; exact joins only the rounds picked by --exact-runs. */
const ROUND_VARIANTS = ['plain', 'auto', 'budget']
/** Variants with the plugin (a JSON report to read). */
const MEASURED = VARIANTS.slice(1)
/** Variants of the small main-process memory runs. */
const MEM_VARIANTS = ['plain', 'auto', 'exact']
const TARGET = 1.1

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'exact-runs': { type: 'string' },
    'mem-runs': { type: 'string', default: '3' },
    suites: { type: 'string', default: 'clean,heavy' },
    'no-budget': { type: 'boolean', default: false },
    live: { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'prepare-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  console.log(`node bench/core.mjs [options]
  --runs N         timed rounds: plain and auto of each suite, interleaved (default 5)
  --exact-runs N   how many of those rounds also run exact, spread out (default min(2, runs):
                   exact is 4-15x slower and only reported, not judged)
  --mem-runs N     runs of the 100-test main-process memory measurement (default 3; 0 skips it)
  --suites LIST    clean, heavy, trivial1 (1 file x 10,000 trivial tests), trivial100 (100 files x
                   100 trivial tests) (default clean,heavy)
  --no-budget      leave out the variant with a 1 MB retained budget
  --live           use the repo's dist/ as it changes instead of a snapshot taken at start
  --no-memory      skip the main-process memory measurement
  --no-write       print only; do not write bench/results/core.json
  --prepare-only   generate bench/.work (suites, configs, dist snapshot) and stop`)
  process.exit(0)
}
const RUNS = positiveInt(args.runs, '--runs')
const EXACT_RUNS = args['exact-runs'] === undefined ? Math.min(2, RUNS) : positiveInt(args['exact-runs'], '--exact-runs', true)
if (EXACT_RUNS > RUNS) fail(`--exact-runs (${EXACT_RUNS}) cannot exceed --runs (${RUNS})`)
const MEM_RUNS = args['no-memory'] ? 0 : positiveInt(args['mem-runs'], '--mem-runs', true)
const SUITE_NAMES = args.suites.split(',').map((s) => s.trim()).filter(Boolean)

function positiveInt(text, name, zeroOk = false) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) fail(`${name} must be a whole number${zeroOk ? '' : ' above 0'}, got ${text}`)
  return n
}
function fail(message) {
  console.error(`bench/core: ${message}`)
  process.exit(1)
}

// ---------------------------------------------------------------------------------------------
// Suites
// ---------------------------------------------------------------------------------------------

const SUITES = {
  // 1,000 small tests: the harness's fixed per-test cost shows at its largest share here.
  clean: { files: 50, testsPerFile: 20, file: cleanTestFile },
  // Workers holding ~50 MB of small objects: every full GC costs ~40 ms here.
  heavy: { files: 10, testsPerFile: 20, file: heavyTestFile },
  // Trivial tests (one expect each, ~0.3 ms of Vitest's own work): the harness's per-test cost
  // against the least a test can cost, in one long file and in many short ones.
  trivial1: { files: 1, testsPerFile: 10_000, file: trivialTestFile },
  trivial100: { files: 100, testsPerFile: 100, file: trivialTestFile },
}
for (const s of SUITE_NAMES) if (!Object.hasOwn(SUITES, s)) fail(`--suites: unknown suite "${s}" (${Object.keys(SUITES).join(', ')})`)
if (args['no-budget']) ROUND_VARIANTS.pop()

const HELPERS = `
function users(n, seed) {
  const out = []
  for (let i = 0; i < n; i++) out.push({ id: seed * 1000 + i, name: 'user' + ((i * 7 + seed) % 97), age: 18 + ((i * 13 + seed) % 60), tags: ['t' + (i % 5), 't' + (i % 3)] })
  return out
}
function groupBy(list, key) {
  const groups = {}
  for (const item of list) (groups[key(item)] ??= []).push(item)
  return groups
}
function words(n, seed) {
  const base = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta']
  return Array.from({ length: n }, (_, i) => base[(i * 5 + seed) % base.length] + (i % 4))
}
`

/** Body of small test number `k` in file `f`: real work, a few expects, distinct code per test. */
function smallTestBody(f, k) {
  const n = 20 + ((f * 7 + k * 3) % 40)
  const seed = f * 20 + k
  switch (k % 5) {
    case 0:
      return `const list = users(${n}, ${seed})
    const byDecade = groupBy(list, (u) => Math.floor(u.age / 10))
    const total = Object.values(byDecade).reduce((s, g) => s + g.length, 0)
    expect(total).toBe(${n})
    expect(Object.keys(byDecade).length).toBeGreaterThan(0)
    expect(list[0]).toHaveProperty('name')`
    case 1:
      return `const text = words(${n}, ${seed}).join(' ')
    const upper = text.toUpperCase().split(' ').map((w) => w.slice(0, 3)).join('-')
    const counts = {}
    for (const ch of text.replace(/\\s+/g, '')) counts[ch] = (counts[ch] ?? 0) + 1
    expect(upper.split('-').length).toBe(${n})
    expect(counts.a).toBeGreaterThan(0)
    expect(text).toContain('${['alpha', 'beta', 'gamma', 'delta'][k % 4]}')`
    case 2:
      return `const values = Array.from({ length: ${n * 5} }, (_, i) => (i * ${k + 3}) % ${n + 11})
    const sorted = [...values].sort((a, b) => a - b)
    const evens = sorted.filter((v) => v % 2 === 0).map((v) => v * 2)
    const pairs = evens.slice(0, 10).map((v, i) => [i, v]).flat()
    expect(sorted[0]).toBeLessThanOrEqual(sorted[sorted.length - 1])
    expect(evens.every((v) => v % 4 === 0)).toBe(true)
    expect(pairs.length).toBeLessThanOrEqual(20)`
    case 3:
      return `const seen = new Map()
    for (const w of words(${n * 2}, ${seed})) seen.set(w, (seen.get(w) ?? 0) + 1)
    const unique = new Set(seen.keys())
    const top = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)
    expect(unique.size).toBe(seen.size)
    expect(top[0][1]).toBeGreaterThanOrEqual(top[2]?.[1] ?? 0)
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(${n * 2})`
    default:
      return `const original = { id: ${seed}, items: users(${Math.ceil(n / 4)}, ${seed}), meta: { created: '2024-01-${String((k % 28) + 1).padStart(2, '0')}', flags: [true, false] } }
    const copy = JSON.parse(JSON.stringify(original))
    copy.items.push({ id: -1, name: 'extra', age: 0, tags: [] })
    expect(copy).not.toEqual(original)
    expect(copy.items.length).toBe(original.items.length + 1)
    expect(structuredClone(original)).toEqual(original)`
  }
}

function cleanTestFile(f, tests) {
  const body = Array.from({ length: tests }, (_, k) => `  test('case ${k}', () => {
    ${smallTestBody(f, k)}
  })
`).join('\n')
  return `import { describe, expect, test } from 'vitest'
${HELPERS}
describe('clean file ${f}', () => {
${body}})
`
}

function trivialTestFile(f, tests) {
  const body = Array.from({ length: tests }, (_, k) => `test('trivial ${f}.${k}', () => {
  expect(${k} + 1).toBe(${k + 1})
})
`).join('')
  return `import { expect, test } from 'vitest'

${body}`
}

function heavyTestFile(f, tests) {
  const body = Array.from({ length: tests }, (_, k) => `  test('case ${k}', () => {
    const from = ${(k * 9973 + f * 101) % 240_000}
    const slice = items.slice(from, from + 200)
    const score = slice.reduce((s, it) => s + it.score, 0)
    expect(slice.length).toBe(200)
    expect(score).toBeGreaterThan(0)
    expect(slice[${k}].name).toBe('item-' + (from + ${k}))
    ${smallTestBody(f, k)}
  })
`).join('\n')
  return `import { describe, expect, test } from 'vitest'
${HELPERS}
// ~50 MB of live heap in 250,000 small objects, alive for the whole file (a big fixture).
const items = []
for (let i = 0; i < 250_000; i++) items.push({ id: i, name: 'item-' + i, tags: [i % 7, i % 11], score: i * 1.5, parent: i > 0 ? items[i >> 1] : null })

describe('heavy file ${f}', () => {
${body}})
`
}

function configFile(variant) {
  const extra = { plain: '', auto: '', budget: "budget: { retained: '1 MB' }, ", exact: "mode: 'exact', " }[variant]
  const plugin = variant === 'plain' ? '' : `memory({ ${extra}outputFile: 'reports/${variant}.json' })`
  return `// Generated by bench/core.mjs. Variant: ${variant}.
import { defineConfig } from 'vitest/config'
${variant === 'plain' ? '' : "import memory from 'vitest-memory'\n"}
// BENCH_HEAP_OUT: add the reporter that records the main process's live heap at the end.
const probe = process.env.BENCH_HEAP_OUT ? [${JSON.stringify(join(WORK, 'heap-probe.mjs'))}] : []

export default defineConfig({
  plugins: [${plugin}],
  test: {
    include: ['tests/**/*.test.js'],
    reporters: ['default', ...probe],
  },
})
`
}

// Records the main process's live heap after the run: full GCs once every reporter, the memory
// reporter included, has finished onTestRunEnd (Vitest calls them all synchronously, then awaits
// them), and how long that took, so the timing can leave the probe's own time out.
const HEAP_PROBE = `import { writeFileSync } from 'node:fs'
import v8 from 'node:v8'
import vm from 'node:vm'

export default class HeapProbe {
  async onTestRunEnd(modules) {
    const started = performance.now()
    await new Promise((resolve) => setImmediate(resolve))
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc')
    v8.setFlagsFromString('--no-expose-gc')
    let tests = 0
    for (const m of modules) for (const _ of m.children.allTests()) tests++
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    const first = v8.getHeapStatistics().used_heap_size
    gc()
    const second = v8.getHeapStatistics().used_heap_size
    const probeMs = performance.now() - started
    writeFileSync(process.env.BENCH_HEAP_OUT, JSON.stringify({ heapUsed: Math.min(first, second), samples: [first, second], tests, probeMs }))
  }
}
`

function prepare() {
  rmSync(WORK, { recursive: true, force: true })
  mkdirSync(WORK, { recursive: true })
  // A package scope of its own, so `vitest-memory` resolves through node_modules (as in a user's
  // project) and not through the repo's self-reference.
  writeFileSync(join(WORK, 'package.json'), `${JSON.stringify({ name: 'vitest-memory-bench', private: true, type: 'module' }, null, 2)}\n`)
  const pkg = join(WORK, 'node_modules', 'vitest-memory')
  mkdirSync(dirname(pkg), { recursive: true })
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) fail('dist/ is missing: run `npm run build` first')
  if (args.live) {
    symlinkSync(ROOT, pkg, 'dir')
  } else {
    // Snapshot: other work may rebuild dist/ while the benchmark runs.
    mkdirSync(pkg)
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true })
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  }
  writeFileSync(join(WORK, 'heap-probe.mjs'), HEAP_PROBE)
  mkdirSync(join(WORK, 'heap'))
  for (const name of SUITE_NAMES) {
    const suite = SUITES[name]
    const dir = join(WORK, name)
    mkdirSync(join(dir, 'tests'), { recursive: true })
    for (let f = 0; f < suite.files; f++) {
      writeFileSync(join(dir, 'tests', `file-${String(f).padStart(2, '0')}.test.js`), suite.file(f, suite.testsPerFile))
    }
    for (const v of VARIANTS) writeFileSync(join(dir, `vitest.${v}.config.mjs`), configFile(v))
  }
}

function distHash() {
  const hash = createHash('sha256')
  const dir = join(WORK, 'node_modules', 'vitest-memory', 'dist')
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.js')) hash.update(relative(dir, p)).update(readFileSync(p))
    }
  }
  walk(dir)
  return hash.digest('hex').slice(0, 12)
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/**
 * CPU time (user + system, ms) of this process's finished children and their waited-for
 * descendants: Vitest and its workers. Less sensitive than wall time to other jobs on the machine.
 */
function childCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) * (1000 / 100) // cutime + cstime, in clock ticks
  } catch {
    return NaN // not Linux
  }
}

/** Run Vitest once; resolves to wall and CPU time in ms and what the heap probe wrote, if asked. */
function runVitest(suite, variant, { filters = [], probe = false } = {}) {
  const dir = join(WORK, suite)
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
  delete env.VITEST_MEMORY_MODE
  delete env.NODE_OPTIONS
  const heapOut = join(WORK, 'heap', `${suite}-${variant}.json`)
  rmSync(heapOut, { force: true })
  if (probe) env.BENCH_HEAP_OUT = heapOut
  else delete env.BENCH_HEAP_OUT
  const argv = [VITEST, 'run', '--root', dir, '--config', join(dir, `vitest.${variant}.config.mjs`), ...filters]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const cpu0 = childCpuMs()
    const child = spawn(process.execPath, argv, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const ms = performance.now() - started
      const cpu = childCpuMs() - cpu0
      if (code !== 0) return reject(new Error(`${suite}/${variant} exited with ${code ?? signal}:\n${output.slice(-4000)}`))
      const heap = probe ? JSON.parse(readFileSync(heapOut, 'utf8')) : undefined
      // The probe's own GCs are not part of the run being timed.
      resolve({ ms: heap ? ms - heap.probeMs : ms, cpu: heap ? cpu - heap.probeMs : cpu, heap })
    })
  })
}

function readReport(suite, variant) {
  return JSON.parse(readFileSync(join(WORK, suite, 'reports', `${variant}.json`), 'utf8'))
}

function median(xs) {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
/** Nearest-rank percentile. */
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d

/** What one report says about the harness's own work and its readings. */
function reportStats(report) {
  const retained = report.tests.map((t) => t.retained)
  const precision = {}
  for (const t of report.tests) precision[t.precision] = (precision[t.precision] ?? 0) + 1
  return {
    tests: report.tests.length,
    harnessGcMs: report.summary.harnessGcMs,
    // Time in the harness's hooks, measured in the workers: in all, and per test (median over the
    // files of each file's median).
    harnessMs: report.files.reduce((s, f) => s + (f.harnessMs ?? 0), 0),
    harnessTestUs: median(report.files.map((f) => f.harnessTestUs).filter((x) => x !== undefined)),
    fullGcs: report.files.reduce((s, f) => s + f.fullGcs, 0),
    precision,
    retained: { p50: percentile(retained, 50), p99: percentile(retained, 99), max: Math.max(...retained), min: Math.min(...retained) },
  }
}

/** Rounds (0-based) that include an exact run: EXACT_RUNS of them, spread over RUNS. */
const exactRound = (r) => Math.floor(((r + 1) * EXACT_RUNS) / RUNS) > Math.floor((r * EXACT_RUNS) / RUNS)

async function timing() {
  const out = {}
  for (const s of SUITE_NAMES) {
    const each = (vs) => Object.fromEntries(vs.map((v) => [v, []]))
    out[s] = { wallMs: each(VARIANTS), cpuMs: each(VARIANTS), exactRounds: [], reports: each(MEASURED), retained: each(MEASURED), heap: each(VARIANTS), probeMs: [] }
  }
  // One untimed plain run per suite warms the file cache and Vitest's results cache.
  for (const s of SUITE_NAMES) await runVitest(s, 'plain')
  for (let r = 0; r < RUNS; r++) {
    for (const s of SUITE_NAMES) {
      const line = []
      const variants = exactRound(r) ? [...ROUND_VARIANTS, 'exact'] : ROUND_VARIANTS
      if (exactRound(r)) out[s].exactRounds.push(r)
      for (const v of variants) {
        // The clean suite's runs also record the main process's heap (see mainMemory()).
        const { ms, cpu, heap } = await runVitest(s, v, { probe: MEM_RUNS > 0 && (s === 'clean' || s === 'trivial1') })
        out[s].wallMs[v].push(round(ms))
        out[s].cpuMs[v].push(round(cpu))
        if (heap) {
          out[s].heap[v].push(heap.heapUsed)
          out[s].probeMs.push(round(heap.probeMs))
        }
        line.push(`${v} ${(ms / 1000).toFixed(2)} s (cpu ${(cpu / 1000).toFixed(2)} s)`)
        if (v !== 'plain') {
          const report = readReport(s, v)
          out[s].reports[v].push(reportStats(report))
          out[s].retained[v].push(...report.tests.map((t) => t.retained))
          if (v === 'auto') out[s].reportBytesPerTest = readFileSync(join(WORK, s, 'reports', 'auto.json')).length / report.tests.length
        }
      }
      console.log(`  round ${r + 1}/${RUNS} ${s.padEnd(5)}  ${line.join('  ')}`)
    }
  }
  return out
}

/**
 * Main-process memory per test: live heap (after full GCs) at the end of the run, with the plugin
 * minus without, on the whole clean suite (from the timed runs) and on 5 of its files. The
 * difference of the two differences, divided by the difference in test count, is what each test
 * adds; the fixed cost of loading the plugin cancels out.
 */
async function mainMemory(clean) {
  const filters = Array.from({ length: 5 }, (_, f) => `tests/file-${String(f).padStart(2, '0')}.test.js`)
  const small = { plain: [], auto: [], exact: [] }
  let smallTests = 0
  for (let r = 0; r < MEM_RUNS; r++) {
    for (const v of MEM_VARIANTS) {
      const { heap } = await runVitest('clean', v, { filters, probe: true })
      small[v].push(heap.heapUsed)
      smallTests = heap.tests
    }
    console.log(`  memory run ${r + 1}/${MEM_RUNS} (${smallTests} tests): ${MEM_VARIANTS.map((v) => `${v} ${mib(small[v].at(-1))}`).join('  ')}`)
  }
  const allTests = SUITES.clean.files * SUITES.clean.testsPerFile
  const all = clean.heap
  const med = (v) => ({ all: median(all[v]), small: median(small[v]) })
  const plain = med('plain')
  const perTest = (v) => {
    const m = med(v)
    return ((m.all - plain.all) - (m.small - plain.small)) / (allTests - smallTests)
  }
  return {
    tests: { all: allTests, small: smallTests },
    heapUsedMedian: Object.fromEntries(MEM_VARIANTS.map((v) => [v, med(v)])),
    heapUsedRuns: Object.fromEntries(MEM_VARIANTS.map((v) => [v, { all: all[v], small: small[v] }])),
    bytesPerTest: { auto: round(perTest('auto')), exact: EXACT_RUNS > 0 ? round(perTest('exact')) : null },
    note: 'Records have the same shape in both modes; use the auto figure. Exact runs last 4-6x longer, and the main process then ends with less live heap whatever the records (probably V8 flushing bytecode that has not run for a while), so the exact slope is biased low.',
    naiveBytesPerTest: { auto: round((med('auto').all - plain.all) / allTests), exact: EXACT_RUNS > 0 ? round((med('exact').all - plain.all) / allTests) : null },
    fixedBytes: { auto: round(med('auto').small - plain.small - perTest('auto') * smallTests) },
    reportFileBytesPerTest: round(clean.reportBytesPerTest),
    probeMsMedian: round(median(clean.probeMs)),
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus()
  const git = (...argv) => spawnSync('git', argv, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  const commit = git('rev-parse', 'HEAD') || 'unknown'
  // dist/ is built from the working tree: say when src/ differed from the commit.
  const srcChanged = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length
  return {
    node: process.version,
    vitest: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')).version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    availableParallelism: os.availableParallelism(),
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    loadAvgAtStart: os.loadavg().map((l) => round(l, 2)),
    date: new Date().toISOString(),
    commit,
    srcChangedFiles: srcChanged,
  }
}

const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`
const kib = (b) => (Math.abs(b) >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`)
const sec = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-')
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-')
const pad = (s, n, right = false) => (right ? String(s).padStart(n) : String(s).padEnd(n))

function summarize(name, t) {
  const med = Object.fromEntries(VARIANTS.map((v) => [v, median(t.wallMs[v])]))
  const cpuMed = Object.fromEntries(VARIANTS.map((v) => [v, median(t.cpuMs[v])]))
  // Each variant against the plain run of the same round: slow drifts of a noisy machine cancel.
  const plainOf = (v, i, key = 'wallMs') => t[key].plain[v === 'exact' ? t.exactRounds[i] : i]
  const pairRatio = (v, key = 'wallMs') => median(t[key][v].map((ms, i) => ms / plainOf(v, i, key)))
  const harness = Object.fromEntries(MEASURED.map((v) => {
    const rs = t.reports[v]
    if (rs.length === 0) return [v, null]
    const precision = {}
    for (const r of rs) for (const [k, n] of Object.entries(r.precision)) precision[k] = (precision[k] ?? 0) + n / rs.length
    const ms = median(rs.map((r) => r.harnessGcMs))
    return [v, {
      harnessGcMsMedian: ms,
      harnessMsMedian: median(rs.map((r) => r.harnessMs)),
      harnessTestUsMedian: median(rs.map((r) => r.harnessTestUs)),
      fullGcsMedian: median(rs.map((r) => r.fullGcs)),
      msPerFullGc: round(ms / median(rs.map((r) => r.fullGcs)), 1),
      precisionPerRun: Object.fromEntries(Object.entries(precision).map(([k, n]) => [k, round(n, 1)])),
    }]
  }))
  const retained = Object.fromEntries(MEASURED.map((v) => {
    const all = t.retained[v]
    if (all.length === 0) return [v, null]
    return [v, {
      readings: all.length,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: Math.max(...all),
      min: Math.min(...all),
      p99PerRun: t.reports[v].map((r) => r.retained.p99),
      maxPerRun: t.reports[v].map((r) => r.retained.max),
    }]
  }))
  return {
    files: SUITES[name].files,
    tests: SUITES[name].files * SUITES[name].testsPerFile,
    wallMs: t.wallMs,
    cpuMs: t.cpuMs,
    exactRounds: t.exactRounds.map((r) => r + 1),
    medianWallMs: med,
    medianCpuMs: cpuMed,
    cpuRatio: Object.fromEntries(MEASURED.map((v) => [v, round(pairRatio(v, 'cpuMs'), 3)])),
    ratio: {
      ...Object.fromEntries(MEASURED.map((v) => [v, round(pairRatio(v), 3)])),
      ...Object.fromEntries(MEASURED.map((v) => [`${v}OfMedians`, round(med[v] / med.plain, 3)])),
    },
    autoMeetsTarget: pairRatio('auto') <= TARGET,
    budgetMeetsTarget: t.wallMs.budget.length ? pairRatio('budget') <= TARGET + 0.02 : null,
    harness,
    retained,
    // Main-process live heap at the end (heap probe), with the plugin minus without, per test:
    // includes the plugin's fixed cost (see mainProcess.fixedBytes for the clean suite's).
    mainHeapPerTest: t.heap.auto.length && t.heap.plain.length
      ? { auto: round((median(t.heap.auto) - median(t.heap.plain)) / (SUITES[name].files * SUITES[name].testsPerFile)) }
      : null,
  }
}

function printTables(suites, memory, info) {
  const cols = MEASURED.filter((v) => Object.values(suites).some((r) => r.medianWallMs[v] !== undefined && Number.isFinite(r.medianWallMs[v])))
  const table = (key, ratioKey) => {
    console.log(`${pad('suite', 18)}${pad('plain', 10, true)}${cols.map((v) => pad(v, 10, true)).join('')}${cols.map((v) => pad(`${v}/plain`, 14, true)).join('')}`)
    for (const [s, r] of Object.entries(suites)) {
      console.log(`${pad(`${s} ${r.files}x${r.tests / r.files}`, 18)}${pad(sec(r[key].plain), 10, true)}${cols.map((v) => pad(sec(r[key][v]), 10, true)).join('')}${cols.map((v) => pad(times(r[ratioKey][v]), 14, true)).join('')}`)
    }
  }
  console.log(`\n=== Wall time: median of ${RUNS} runs (exact: ${EXACT_RUNS}); ratio = median of per-round ratios to plain; targets auto <= ${TARGET.toFixed(2)}x, budget <= ${(TARGET + 0.02).toFixed(2)}x ===`)
  table('medianWallMs', 'ratio')
  for (const [s, r] of Object.entries(suites)) console.log(`  ${s}: auto ${r.autoMeetsTarget ? 'met' : 'MISSED'}${r.budgetMeetsTarget === null ? '' : `, budget ${r.budgetMeetsTarget ? 'met' : 'MISSED'}`}`)
  console.log('\n=== CPU time of Vitest and its workers (user + system; less sensitive to other load on the machine) ===')
  table('medianCpuMs', 'cpuRatio')
  console.log('\n=== Harness GC work per run (from the JSON reports; medians) ===')
  for (const [s, r] of Object.entries(suites)) {
    for (const v of MEASURED) {
      const h = r.harness[v]
      if (!h) continue
      console.log(`${pad(`${s} ${v}`, 18)} hooks ${pad(sec(h.harnessMsMedian), 8, true)} (per test ${pad(`${round(h.harnessTestUsMedian, 1)} us`, 9, true)})  GC time ${pad(sec(h.harnessGcMsMedian), 8, true)}  full GCs ${pad(h.fullGcsMedian, 5, true)} (${pad(h.msPerFullGc, 5, true)} ms each, ${(h.fullGcsMedian / r.files).toFixed(1)} per file)  precision: ${Object.entries(h.precisionPerRun).map(([k, n]) => `${k} ${n}`).join(', ')}`)
    }
  }
  console.log('\n=== retained per test, over all readings of all timed runs ===')
  for (const [s, r] of Object.entries(suites)) {
    for (const v of MEASURED) {
      const x = r.retained[v]
      if (!x) continue
      console.log(`${pad(`${s} ${v}`, 18)} n ${pad(x.readings, 5, true)}  p50 ${pad(kib(x.p50), 10, true)}  p99 ${pad(kib(x.p99), 10, true)}  max ${pad(kib(x.max), 10, true)}  min ${pad(kib(x.min), 11, true)}   p99 per run: ${x.p99PerRun.map(kib).join(', ')}`)
    }
  }
  if (memory) {
    console.log('\n=== Main-process live heap at the end of the run (clean suite; after full GCs; medians) ===')
    for (const v of MEM_VARIANTS) if (Number.isFinite(memory.heapUsedMedian[v].all)) console.log(`${pad(v, 8)} ${memory.tests.all} tests ${pad(mib(memory.heapUsedMedian[v].all), 11, true)}    ${memory.tests.small} tests ${pad(mib(memory.heapUsedMedian[v].small), 11, true)}`)
    console.log(`per test (slope between ${memory.tests.small} and ${memory.tests.all} tests): ${kib(memory.bytesPerTest.auto)} (auto runs; exact runs are longer and end with less heap whatever the records, see README)`)
    console.log(`fixed cost of the plugin ${kib(memory.fixedBytes.auto)}; JSON report on disk ${kib(memory.reportFileBytesPerTest)} per test`)
  }
  for (const [s, r] of Object.entries(suites)) {
    if (r.mainHeapPerTest) console.log(`main-process live heap per test, ${s} (${r.tests} tests, with the plugin minus without, fixed cost included): ${kib(r.mainHeapPerTest.auto)}`)
  }
  console.log(`\nload average at start ${info.loadAvgAtStart.join(' ')}, at end ${info.loadAvgAtEnd.join(' ')}; total ${info.totalSeconds} s`)
}

async function main() {
  const info = machine()
  const t0 = performance.now()
  prepare()
  info.harness = { dist: args.live ? 'live (repo dist/)' : 'snapshot of dist/ at start', distSha256: distHash() }
  if (args['prepare-only']) return console.log(`prepared ${relative(ROOT, WORK)}`)
  console.log(`vitest-memory core benchmark: node ${info.node}, vitest ${info.vitest}, ${info.cpus} cpus; ${RUNS} rounds (exact in ${EXACT_RUNS}), ${MEM_RUNS} memory runs`)
  console.log(`suites in ${relative(ROOT, WORK)}: ${SUITE_NAMES.map((s) => `${s} ${SUITES[s].files} files x ${SUITES[s].testsPerFile} tests`).join(', ')}`)

  console.log('\nWall time (after one untimed plain run per suite):')
  const timed = await timing()
  let memory
  if (MEM_RUNS > 0 && SUITE_NAMES.includes('clean')) {
    console.log('\nMain-process memory, small runs (the 1,000-test figures come from the timed runs):')
    memory = await mainMemory(timed.clean)
  }
  info.loadAvgAtEnd = os.loadavg().map((l) => round(l, 2))
  info.totalSeconds = round((performance.now() - t0) / 1000)
  const suites = Object.fromEntries(SUITE_NAMES.map((s) => [s, summarize(s, timed[s])]))
  printTables(suites, memory, info)

  const result = {
    benchmark: 'core',
    command: `node bench/core.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: info,
    runs: RUNS,
    exactRuns: EXACT_RUNS,
    memoryRuns: MEM_RUNS,
    target: { autoOverPlain: TARGET },
    suites,
    mainProcess: memory,
  }
  if (!args['no-write']) {
    mkdirSync(dirname(RESULTS), { recursive: true })
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`wrote ${relative(ROOT, RESULTS)}`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
