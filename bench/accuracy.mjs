#!/usr/bin/env node
// Accuracy of the harness on a corpus whose memory behaviour is known (test/fixtures/accuracy):
// heap leaks of 2 kB to 1 MB per run, native (Buffer, sqlite) leaks, handle leaks, one-time growth,
// transient peaks, collected cycles and parked promises, tidy listeners. See README "Accuracy".
//
//   node bench/accuracy.mjs [--rounds 3] [--legs v4,v5] [--pools forks,threads] [--modes single,repeat] [--core]
//
// Each round runs the corpus with the Vitest CLI in (a) a single pass with a 64 KB retained budget
// and (b) repetition (every test repeated with the default plan), on Vitest 4 / this Node and, when
// compat/vitest5/node_modules exists, on Vitest 5 / Node 22 (run `node scripts/test-v5.mjs` once to
// install it). The true growth per run of every case is measured first in a bare Node process
// (`--expose-gc`, full GCs around 20 runs). Writes bench/results/accuracy.json. Needs a built dist/.
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const FIXTURE = join(ROOT, 'test', 'fixtures', 'accuracy')
const RESULTS = join(BENCH, 'results', 'accuracy.json')
const COMPAT = join(ROOT, 'compat', 'vitest5')
const BUDGET = 64_000

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    legs: { type: 'string', default: 'v4,v5' },
    pools: { type: 'string', default: 'forks' },
    modes: { type: 'string', default: 'single,exact,repeat' },
    core: { type: 'boolean', default: false },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    sensitivity: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    out: { type: 'string' },
    truth: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (args.truth) {
  await measureTruth(args.truth)
  process.exit(0)
}
if (args.help) {
  console.log(`node bench/accuracy.mjs [options]
  --rounds N        runs of each leg and mode (default 3), interleaved
  --legs LIST       v4 (Vitest 4, this Node), v5 (Vitest 5, Node 22 from compat/vitest5) (default both;
                    v5 is skipped when compat/vitest5/node_modules is missing)
  --pools LIST      Vitest pools to run the corpus in: forks, threads (default forks); each pool
                    of each leg is a leg of its own in the results (v4/threads...)
  --modes LIST      single (one pass, 64 KB retained budget, auto mode), exact (the same in exact
                    mode), repeat (every test repeated) (default all three)
  --core            only the core cases (the ones test/accuracy.test.ts repeats)
  --runs N, --warmup N, --sensitivity BYTES
                    repetition settings to try instead of the defaults
  --no-write        print only; do not write bench/results/accuracy.json
  --out FILE        write the results there instead`)
  process.exit(0)
}

const ROUNDS = Number(args.rounds)
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) fail('--rounds must be a whole number, 1 or more')
const MODES = args.modes.split(',').map((s) => s.trim()).filter(Boolean)
for (const m of MODES) if (!['single', 'exact', 'repeat'].includes(m)) fail(`--modes: unknown mode "${m}" (single, exact, repeat)`)
const LEGS = []
for (const leg of args.legs.split(',').map((s) => s.trim()).filter(Boolean)) {
  let base
  if (leg === 'v4') {
    base = { node: process.execPath, vitest: join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), work: join(BENCH, '.work', 'accuracy') }
  } else if (leg === 'v5') {
    const node = join(COMPAT, 'node_modules', 'node', 'bin', 'node')
    if (!existsSync(node) || !existsSync(join(COMPAT, 'node_modules', 'vitest', 'vitest.mjs'))) {
      console.log('v5 leg skipped: compat/vitest5/node_modules is not installed (run `node scripts/test-v5.mjs` once)')
      continue
    }
    // Inside compat/vitest5, so `vitest` and `better-sqlite3` (built for Node 22) resolve there.
    base = { node, vitest: join(COMPAT, 'node_modules', 'vitest', 'vitest.mjs'), work: join(COMPAT, '.accuracy-work') }
  } else {
    fail(`--legs: unknown leg "${leg}" (v4, v5)`)
  }
  for (const pool of args.pools.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!['forks', 'threads'].includes(pool)) fail(`--pools: unknown pool "${pool}" (forks, threads)`)
    const name = pool === 'forks' ? leg : `${leg}/${pool}`
    LEGS.push({ ...base, work: pool === 'forks' ? base.work : `${base.work}-${pool}`, pool, name, temporary: leg === 'v5' })
  }
}
if (!existsSync(join(ROOT, 'dist', 'index.js'))) fail('dist/ is missing: run `npm run build` first')

function fail(message) {
  console.error(`bench/accuracy: ${message}`)
  process.exit(2)
}

// ---------------------------------------------------------------------------------------------
// Ground truth: every case in a bare Node process, full GCs around the runs.

async function measureTruth(dir) {
  const { cases, cleanup, classify } = await import(pathToFileURL(join(dir, 'corpus.js')).href)
  const gc = globalThis.gc
  if (typeof gc !== 'function') throw new Error('run with --expose-gc')
  const heap = () => {
    let sum = 0
    for (const s of v8.getHeapSpaceStatistics()) if (!s.space_name.startsWith('code_')) sum += s.space_used_size
    return sum
  }
  const settle = async () => {
    gc()
    await new Promise((r) => setImmediate(r))
    gc()
    // The heap first, and the lower of two readings: a moment after a GC (process.memoryUsage()
    // reads /proc) V8's old-space accounting can count up to ~280 kB that no object holds (Node 20).
    const h = heap()
    const m = process.memoryUsage()
    gc()
    return { heap: Math.min(h, heap()), external: m.external, rss: m.rss }
  }
  const diff = (a, b, n = 1) => ({ heap: (b.heap - a.heap) / n, external: (b.external - a.external) / n, rss: (b.rss - a.rss) / n })
  const RUNS = 20
  const out = {}
  for (const c of cases) {
    if (!classify(c.name)) throw new Error(`corpus case without a class: ${c.name}`)
    const s0 = await settle()
    await c.run()
    const s1 = await settle()
    await c.run()
    await c.run()
    const s2 = await settle()
    for (let i = 0; i < RUNS; i++) await c.run()
    const s3 = await settle()
    out[c.name] = { first: diff(s0, s1), perRun: diff(s2, s3, RUNS) }
  }
  await cleanup()
  process.stdout.write(JSON.stringify({ node: process.version, cases: out }))
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------
// Running the corpus with Vitest.

function prepare(leg) {
  rmSync(leg.work, { recursive: true, force: true })
  mkdirSync(leg.work, { recursive: true })
  writeFileSync(join(leg.work, 'package.json'), `${JSON.stringify({ name: 'vitest-memory-accuracy', private: true, type: 'module' }, null, 2)}\n`)
  // A snapshot of dist/: other work may rebuild it while the benchmark runs.
  const pkg = join(leg.work, 'node_modules', 'vitest-memory')
  mkdirSync(pkg, { recursive: true })
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  const project = join(leg.work, 'project')
  cpSync(FIXTURE, project, { recursive: true, filter: (p) => !p.includes('.vitest-memory') && !p.includes('node_modules') })
  leg.project = project
}

function spawnCollect(cmd, argv, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function truthFor(leg) {
  const r = await spawnCollect(leg.node, ['--expose-gc', fileURLToPath(import.meta.url), '--truth', leg.project], { cwd: leg.project })
  if (r.code !== 0) throw new Error(`truth measurement failed on ${leg.name}:\n${r.stderr}`)
  return JSON.parse(r.stdout)
}

/**
 * What the results keep of a report entry. Repeated runs as `[heap, external, rss]` (plus `code`
 * when the harness records it), in bytes, warm-up runs first.
 */
function rawEntry(t) {
  const external = t.externalAfter - t.externalBefore
  return {
    verdict: t.verdict,
    retained: t.retained,
    ...(t.retainedMax !== undefined ? { retainedMax: t.retainedMax } : {}),
    precision: t.precision,
    ...(external ? { external } : {}),
    ...(t.handlesLeft && Object.keys(t.handlesLeft).length ? { handlesLeft: t.handlesLeft } : {}),
    ...(t.repeat ? { repeat: { verdict: t.repeat.verdict, signal: t.repeat.signal, perRun: t.repeat.perRun, warmup: t.repeat.warmup, runs: t.repeat.runs.map((x) => (x.code === undefined ? [x.heap, x.external, x.rss] : [x.heap, x.external, x.rss, x.code])) } } : {}),
    ...(t.violations ? { violations: t.violations.map((v) => v.metric) } : {}),
  }
}

async function runVitest(leg, mode) {
  const env = {
    ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', VITEST_MEMORY_MODE: mode === 'exact' ? 'exact' : '', VITEST_MEMORY_REPEAT: '',
    ACC_REPEAT: mode === 'repeat' ? '1' : '', ACC_CORE: args.core ? '1' : '', ACC_BUDGET: String(BUDGET),
    ACC_POOL: leg.pool, ACC_RUNS: args.runs ?? '', ACC_WARMUP: args.warmup ?? '', ACC_SENSITIVITY: args.sensitivity ?? '',
  }
  const report = join(leg.project, '.vitest-memory', 'report.json')
  rmSync(report, { force: true })
  const started = performance.now()
  const r = await spawnCollect(leg.node, [leg.vitest, 'run'], { cwd: leg.project, env })
  const wallMs = Math.round(performance.now() - started)
  if (!existsSync(report)) throw new Error(`no report from ${leg.name} ${mode} (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`)
  const data = JSON.parse(readFileSync(report, 'utf8'))
  const tests = {}
  for (const t of data.tests) tests[t.name] = rawEntry(t)
  // A run that did not measure the corpus (a crash, a broken install) must not count as a round.
  // Every case of the corpus, by name (the report also holds the neighbours file's tests).
  const missing = corpus.cases.filter((c) => (!args.core || c.core) && !Object.hasOwn(tests, c.name)).map((c) => c.name)
  // A run that measured almost nothing (a crash, a broken install) is no round; a few tests missing
  // from the report is a finding of its own, counted and printed with the round.
  if (missing.length > corpus.cases.length / 2) throw new Error(`${leg.name} ${mode}: the report lacks ${missing.length} of the corpus's tests (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`)
  return { wallMs, exitCode: r.code, tests, missing }
}

// ---------------------------------------------------------------------------------------------
// Judging one run against the targets.

// The corpus's own parser of its case names (class, nominal bytes per run, handle type).
const corpus = await import(pathToFileURL(join(FIXTURE, 'corpus.js')).href)
const classOf = corpus.classify

/** Whether the test must be reported as a leak (true), must not (false), or either (undefined). */
function expectedLeak(c) {
  if (c.cls === 'leak' || c.cls === 'native') return c.bytes >= 2_000
  if (c.cls === 'handle') return c.bytes >= 2_000 ? true : undefined
  return false
}
/**
 * Single pass, 64 KB budget: must be flagged (true), must not (false), or either (undefined). A leak
 * at or over the budget must be, a smaller one and a clean test must not; anything else by what its
 * first run truly retains (a handle's first server loads `net` internals, a lazy singleton is real
 * retention), with a margin: the true first run is a single sample.
 */
function expectedFlag(c, truth) {
  if (c.cls === 'leak') return c.bytes >= BUDGET
  if (c.cls === 'clean') return false
  const first = truth?.first.heap
  if (first === undefined) return undefined
  return first > 1.5 * BUDGET ? true : first < BUDGET / 2 ? false : undefined
}
const expectedSignal = (name, c) => (c.cls === 'native' ? (name.includes('sqlite') ? ['rss', 'external'] : ['external']) : ['heap'])

function judgeRepeat(run) {
  const rows = []
  for (const [name, t] of Object.entries(run.tests)) {
    const c = classOf(name)
    if (!c) continue
    const verdict = t.repeat?.verdict ?? 'missing'
    const expected = expectedLeak(c)
    const handlesLeft = t.handlesLeft ?? {}
    const row = { name, cls: c.cls, bytes: c.bytes, verdict, signal: t.repeat?.signal, perRun: t.repeat?.perRun, handlesLeft }
    if (expected === true && verdict !== 'leak') row.error = 'false negative'
    if (expected === false && verdict === 'leak') row.error = 'false positive'
    if (expected === true && verdict === 'leak' && !expectedSignal(name, c).includes(t.repeat.signal)) row.error = `wrong signal ${t.repeat.signal}`
    if (c.cls === 'handle' && !handlesLeft[c.handle]) row.error = `${c.handle} not in handlesLeft`
    rows.push(row)
  }
  return rows
}

function judgeSingle(run, truth) {
  const rows = []
  for (const [name, t] of Object.entries(run.tests)) {
    const c = classOf(name)
    if (!c) continue
    const flagged = t.verdict === 'fail'
    const expected = expectedFlag(c, truth?.cases[name])
    const first = truth?.cases[name]?.first.heap
    const handlesLeft = t.handlesLeft ?? {}
    const external = t.external ?? 0
    const row = { name, cls: c.cls, bytes: c.bytes, flagged, retained: t.retained, precision: t.precision, external, handlesLeft }
    // A reading further than 32 kB from what the test truly retains in its first run.
    if (first !== undefined && Math.abs(t.retained - first) > 32_000) row.outlier = Math.round(t.retained - first)
    if (expected === true && !flagged) row.error = 'false negative'
    if (expected === false && flagged) row.error = 'false positive'
    if (c.cls === 'handle' && !handlesLeft[c.handle]) row.error = `${c.handle} not in handlesLeft`
    if (c.cls === 'native' && !name.includes('sqlite') && external < c.bytes * 0.9) row.error = `external +${external} B, below ${c.bytes}`
    rows.push(row)
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Summaries.

/** JSON with short values and lists of flat values on one line (the raw runs stay readable and small). */
function pretty(value, indent = '') {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const flat = JSON.stringify(value)
  const flatItems = Array.isArray(value) && value.every((x) => x === null || typeof x !== 'object' || Object.values(x).every((y) => y === null || typeof y !== 'object'))
  if (flat.length <= 100 || flatItems) return flat
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((x) => inner + pretty(x ?? null, inner)).join(',\n')}\n${indent}]`
  const entries = Object.entries(value).filter(([, x]) => x !== undefined)
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`
}

const kb = (b) => (b === undefined || b === null ? '-' : Math.abs(b) >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`)
const groupKey = (row) => (row.cls === 'leak' || row.cls === 'native' ? `${row.cls}:${row.bytes >= 1_048_576 ? `${Math.round(row.bytes / 1_048_576)}m` : `${Math.round(row.bytes / 1_024)}k`}` : row.cls === 'handle' ? (row.bytes ? 'handle+data' : 'handle') : row.cls)

function summarize(mode, rounds, truth) {
  const groups = {}
  const errors = []
  const outliers = []
  const rates = {}
  for (const [i, rows] of rounds.entries()) {
    for (const row of rows) {
      const g = (groups[groupKey(row)] ??= mode === 'repeat' ? { tests: 0, leak: 0, 'one-time': 0, clean: 0, missing: 0 } : { tests: 0, flagged: 0, notFlagged: 0 })
      g.tests++
      if (mode === 'repeat') g[row.verdict]++
      else g[row.flagged ? 'flagged' : 'notFlagged']++
      if (row.error) errors.push({ round: i + 1, name: row.name, error: row.error, ...(mode === 'repeat' ? { verdict: row.verdict, signal: row.signal, perRun: row.perRun } : { retained: row.retained, precision: row.precision }) })
      if (row.outlier !== undefined) outliers.push({ round: i + 1, name: row.name, off: row.outlier, precision: row.precision })
      const r = (rates[row.name] ??= { cls: row.cls, measured: [] })
      r.measured.push(mode === 'repeat' ? row.perRun : row.retained)
      if (mode === 'repeat' && row.signal) r.signal = row.signal
    }
  }
  for (const [name, r] of Object.entries(rates)) {
    const t = truth?.cases[name]
    const signal = r.signal ?? (name.startsWith('native') && !name.includes('sqlite') ? 'external' : 'heap')
    if (t) r.truth = Math.round(mode === 'repeat' ? t.perRun[signal] : t.first.heap)
    r.signal = signal
    r.min = Math.min(...r.measured)
    r.max = Math.max(...r.measured)
  }
  return { groups, errors, ...(mode !== 'repeat' ? { outliers } : {}), rates }
}

function printRepeat(leg, s) {
  console.log(`\n${leg} repetition: verdicts per class (all rounds)`)
  console.log(`  ${'class'.padEnd(14)} ${'tests'.padStart(5)} ${'leak'.padStart(5)} ${'one-time'.padStart(9)} ${'clean'.padStart(6)}`)
  for (const [k, g] of Object.entries(s.groups)) console.log(`  ${k.padEnd(14)} ${String(g.tests).padStart(5)} ${String(g.leak).padStart(5)} ${String(g['one-time']).padStart(9)} ${String(g.clean).padStart(6)}${g.missing ? `  missing ${g.missing}` : ''}`)
}
function printSingle(leg, mode, s) {
  console.log(`\n${leg} single pass (${mode === 'exact' ? 'exact' : 'auto'} mode), ${kb(BUDGET)} budget: flagged per class (all rounds)`)
  console.log(`  ${'class'.padEnd(14)} ${'tests'.padStart(5)} ${'flagged'.padStart(8)} ${'not'.padStart(5)}`)
  for (const [k, g] of Object.entries(s.groups)) console.log(`  ${k.padEnd(14)} ${String(g.tests).padStart(5)} ${String(g.flagged).padStart(8)} ${String(g.notFlagged).padStart(5)}`)
}
function printRates(title, s) {
  console.log(`\n${title}`)
  for (const [name, r] of Object.entries(s.rates)) {
    if (r.cls !== 'leak' && r.cls !== 'native' && !(title.includes('single') && r.cls === 'one-time')) continue
    console.log(`  ${name.slice(0, 58).padEnd(58)} ${r.signal.padEnd(8)} true ${kb(r.truth).padStart(9)}  measured ${kb(r.min).padStart(9)} .. ${kb(r.max).padEnd(9)}`)
  }
}

// ---------------------------------------------------------------------------------------------

const startedAt = new Date().toISOString()
const results = {
  startedAt,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memory: os.totalmem(), loadavgAtStart: os.loadavg() },
  settings: { rounds: ROUNDS, modes: MODES, budget: BUDGET, core: args.core, runs: args.runs ?? 'default', warmup: args.warmup ?? 'default', sensitivity: args.sensitivity ?? 'default' },
  legs: {},
}
for (const leg of LEGS) {
  prepare(leg)
  console.log(`${leg.name}: measuring the true growth of every case (bare Node, full GCs)...`)
  leg.truth = await truthFor(leg)
  leg.runs = { single: [], exact: [], repeat: [] }
  results.legs[leg.name] = { node: leg.truth.node, vitest: JSON.parse(readFileSync(join(dirname(leg.vitest), 'package.json'), 'utf8')).version, truth: leg.truth.cases }
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of MODES) {
    for (const leg of LEGS) {
      const run = await runVitest(leg, mode)
      leg.runs[mode].push(run)
      const rows = mode === 'repeat' ? judgeRepeat(run) : judgeSingle(run, leg.truth)
      const errs = rows.filter((r) => r.error)
      console.log(`round ${round}/${ROUNDS} ${leg.name} ${mode === 'single' ? 'auto' : mode}: ${rows.length} tests, ${(run.wallMs / 1000).toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}, ${errs.length ? `${errs.length} misses: ${errs.map((e) => `${e.name} (${e.error}${mode === 'repeat' ? `, ${e.verdict} ${kb(e.perRun)}` : `, ${kb(e.retained)}`})`).join('; ')}` : 'all targets met'}${run.missing.length ? `; MISSING from the report: ${run.missing.length} (${run.missing.join('; ')})` : ''}`)
    }
  }
}
for (const leg of LEGS) {
  const out = results.legs[leg.name]
  for (const mode of MODES) {
    const rounds = leg.runs[mode].map((run) => (mode === 'repeat' ? judgeRepeat(run) : judgeSingle(run, leg.truth)))
    const s = summarize(mode, rounds, leg.truth)
    out[mode] = { wallSeconds: leg.runs[mode].map((r) => r.wallMs / 1000), ...s, missing: leg.runs[mode].map((r) => r.missing), raw: leg.runs[mode].map((r) => r.tests) }
    if (mode === 'repeat') {
      printRepeat(leg.name, s)
      printRates(`${leg.name} repetition: growth per run, true vs measured (min .. max over rounds)`, s)
    } else {
      printSingle(leg.name, mode, s)
      printRates(`${leg.name} single pass (${mode === 'exact' ? 'exact' : 'auto'} mode): retained in the one run, true (first run) vs measured`, s)
    }
    if (s.outliers) console.log(`  readings more than 32 kB off the truth: ${s.outliers.length ? s.outliers.map((o) => `round ${o.round} ${o.name.slice(0, 40)} ${kb(o.off)} (${o.precision})`).join('; ') : 'none'}`)
    console.log(`  misses: ${s.errors.length ? '' : 'none'}`)
    for (const e of s.errors) console.log(`    round ${e.round}: ${e.name}: ${e.error} (${mode === 'repeat' ? `${e.verdict}, ${kb(e.perRun)}${e.signal ? ` ${e.signal}` : ''}` : kb(e.retained)})`)
  }
  if (leg.temporary) rmSync(leg.work, { recursive: true, force: true })
}
results.finishedAt = new Date().toISOString()
results.machine.loadavgAtEnd = os.loadavg()
if (!args['no-write']) {
  const file = args.out ?? RESULTS
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${pretty(results)}\n`)
  console.log(`\nwrote ${file}`)
}
