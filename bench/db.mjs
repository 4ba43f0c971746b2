#!/usr/bin/env node
// Benchmark of the DB fixtures (vitest-memory/db): 5,000 tests on the 10-table schema of
// examples/db, one engine per test against the per-worker fixture, in real Vitest runs.
//
//   node bench/db.mjs [--tests 5000] [--runs 3] [--variants a,b] [--no-write]
//
// Each variant is one test file of `--tests` tests run alone in one forked worker (no memory
// plugin: this measures the fixture, not the harness). A setup file times every test from the
// first beforeEach to after the fixture teardown, and samples memory after a full GC every 250
// tests. Variants:
//   plain            empty tests, no database: what Vitest itself costs per test
//   noop-fixture     empty tests with fixtures shaped like ours (worker, file and test scoped)
//                    that do nothing: what Vitest's fixture machinery costs and retains per test
//   fixture-empty    empty tests that take `db`: plain + the fixture's own per-test cost
//   shared           one engine for the file, no isolation (rows pile up): the work itself
//   fixture          the work on the fixture (BEGIN/SAVEPOINT per file, ROLLBACK TO per test)
//   engine-per-test  a new engine + migrations per test, closed after it (the careful version)
//   mem-001          a new engine + migrations per test, kept in a registry (seeds/002)
// It also times the engine alone (enterTest/leaveTest without Vitest). Writes
// bench/results/db.json. Needs a built dist/ (npm run build). About 2 minutes on 2 cores.
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const WORK = join(BENCH, '.work', 'db')
const RESULTS = join(BENCH, 'results', 'db.json')
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
const EXAMPLE = join(ROOT, 'examples', 'db')
const VARIANTS = ['plain', 'noop-fixture', 'fixture-empty', 'shared', 'fixture', 'engine-per-test', 'mem-001']
const SAMPLE_EVERY = 250
const TARGETS = { overheadUs: 50, rssGrowthMb: 10 }

const { values: args } = parseArgs({
  options: {
    tests: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  console.log('node bench/db.mjs [--tests 5000] [--runs 3] [--variants plain,fixture-empty,shared,fixture,engine-per-test,mem-001] [--no-write]')
  process.exit(0)
}
const TESTS = Number(args.tests)
const RUNS = Number(args.runs)
const SELECTED = args.variants.split(',').map((v) => v.trim()).filter(Boolean)
for (const v of SELECTED) if (!VARIANTS.includes(v)) fail(`--variants: unknown variant "${v}" (${VARIANTS.join(', ')})`)
if (!Number.isInteger(TESTS) || TESTS < SAMPLE_EVERY) fail(`--tests must be a whole number >= ${SAMPLE_EVERY}`)
if (!Number.isInteger(RUNS) || RUNS < 1) fail('--runs must be a whole number above 0')

function fail(message) {
  console.error(`bench/db: ${message}`)
  process.exit(1)
}

// ---------------------------------------------------------------------------------------------
// The generated project: bench/.work/db, with a snapshot of dist/ installed as a package (so a
// rebuild of the repository during the run changes nothing) and the schema of examples/db.
// ---------------------------------------------------------------------------------------------

function prepare() {
  rmSync(WORK, { recursive: true, force: true })
  const pkg = join(WORK, 'node_modules', 'vitest-memory')
  mkdirSync(pkg, { recursive: true })
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  cpSync(join(EXAMPLE, 'drizzle'), join(WORK, 'drizzle'), { recursive: true })
  const example = '@EXAMPLE@'
  const files = {
    'package.json': JSON.stringify({ name: 'bench-db', private: true, type: 'module' }),
    'vitest.config.ts': `import { defineConfig } from 'vitest/config'
export default defineConfig({
  test: { setupFiles: ['./timing.ts'], pool: 'forks', execArgv: ['--expose-gc'], maxWorkers: 1, testTimeout: 600_000, hookTimeout: 600_000 },
})
`,
    'timing.ts': `// Times each test from the first beforeEach to after its fixtures' teardown; samples memory.
import { writeFileSync } from 'node:fs'
import { afterAll, beforeEach } from 'vitest'

const gc = (globalThis as { gc?: () => void }).gc
const times: number[] = []
const samples: Array<{ test: number; heap: number; rss: number; external: number }> = []
function sample(test: number) {
  gc?.()
  const m = process.memoryUsage()
  samples.push({ test, heap: m.heapUsed, rss: m.rss, external: m.external })
}

beforeEach(({ onTestFinished }) => {
  const start = performance.now()
  // Registered first, so it runs last: after the test's hooks and its fixtures' teardown.
  onTestFinished(() => {
    times.push(performance.now() - start)
    if (times.length === 1 || times.length % ${SAMPLE_EVERY} === 0) sample(times.length)
  })
})

afterAll(() => {
  writeFileSync(process.env.BENCH_OUT!, JSON.stringify({ times, samples, maxRss: process.resourceUsage().maxRSS * 1024, gc: Boolean(gc) }))
})
`,
    'db-test.ts': `import { createDbTest } from 'vitest-memory/db'
import * as schema from '${example}/schema.ts'
export const test = createDbTest({ schema, migrationsFolder: './drizzle' })
`,
    'engine.ts': `// A new engine with the full schema, the way a per-test fixture builds one.
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from '${example}/schema.ts'

const migrationsFolder = fileURLToPath(new URL('./drizzle', import.meta.url))
export function newEngine() {
  const client = new Database(':memory:')
  client.pragma('foreign_keys = ON')
  const db = drizzle({ client, schema })
  migrate(db, { migrationsFolder })
  return { client, db }
}
`,
    'plain.test.ts': `import { expect, test } from 'vitest'
const N = Number(process.env.BENCH_TESTS)
for (let n = 1; n <= N; n++) test(\`t\${n}\`, () => { expect(n).toBeGreaterThan(0) })
`,
    'noop-fixture.test.ts': `import { expect, test as base } from 'vitest'
type Use<T> = (value: T) => Promise<void>
const test = base.extend({
  _engine: [async ({}, use: Use<object>) => { await use({}) }, { scope: 'worker' }],
  _file: [async ({ _engine }, use: Use<object>) => { await use(_engine) }, { scope: 'file' }],
  _seed: {},
  db: async ({ _engine, _file, _seed, task }, use: Use<object>) => { void _file; void _seed; void task; await use(_engine) },
})
const N = Number(process.env.BENCH_TESTS)
for (let n = 1; n <= N; n++) test(\`t\${n}\`, ({ db }) => { expect(db).toBeDefined() })
`,
    'fixture-empty.test.ts': `import { expect } from 'vitest'
import { test } from './db-test.ts'
const N = Number(process.env.BENCH_TESTS)
for (let n = 1; n <= N; n++) test(\`t\${n}\`, ({ db }) => { expect(db).toBeDefined() })
`,
    'shared.test.ts': `import { expect, test } from 'vitest'
import { newEngine } from './engine.ts'
import { orderTotal, placeOrder } from '${example}/shop.ts'
const N = Number(process.env.BENCH_TESTS)
const { db } = newEngine()
for (let n = 1; n <= N; n++) test(\`t\${n}\`, () => { expect(orderTotal(db, placeOrder(db, n))).toBe(2500) })
`,
    'fixture.test.ts': `import { expect } from 'vitest'
import { test } from './db-test.ts'
import { orderTotal, placeOrder } from '${example}/shop.ts'
const N = Number(process.env.BENCH_TESTS)
for (let n = 1; n <= N; n++) test(\`t\${n}\`, ({ db }) => { expect(orderTotal(db, placeOrder(db, n))).toBe(2500) })
`,
    'engine-per-test.test.ts': `import { afterEach, beforeEach, expect, test } from 'vitest'
import { newEngine } from './engine.ts'
import { orderTotal, placeOrder } from '${example}/shop.ts'
const N = Number(process.env.BENCH_TESTS)
let engine: ReturnType<typeof newEngine>
beforeEach(() => { engine = newEngine() })
afterEach(() => { engine.client.close() })
for (let n = 1; n <= N; n++) test(\`t\${n}\`, () => { expect(orderTotal(engine.db, placeOrder(engine.db, n))).toBe(2500) })
`,
    'mem-001.test.ts': `import { beforeEach, expect, test } from 'vitest'
import { newEngine } from './engine.ts'
import { orderTotal, placeOrder } from '${example}/shop.ts'
const N = Number(process.env.BENCH_TESTS)
const registry: Array<ReturnType<typeof newEngine>> = []
let engine: ReturnType<typeof newEngine>
beforeEach(() => { engine = newEngine(); registry.push(engine) })
for (let n = 1; n <= N; n++) test(\`t\${n}\`, () => { expect(orderTotal(engine.db, placeOrder(engine.db, n))).toBe(2500) })
`,
  }
  for (const [name, content] of Object.entries(files)) {
    // Each variant in its own directory: Vitest's file filter matches substrings of paths, so
    // "fixture.test.ts" would also run "noop-fixture.test.ts".
    const variant = name.endsWith('.test.ts') ? name.slice(0, -'.test.ts'.length) : undefined
    const target = variant ? join(WORK, 'variants', variant, 'bench.test.ts') : join(WORK, name)
    mkdirSync(dirname(target), { recursive: true })
    const src = relative(dirname(target), join(EXAMPLE, 'src')).split('\\').join('/')
    writeFileSync(target, (variant ? content.replaceAll("'./", "'../../") : content).replaceAll('@EXAMPLE@', src))
  }
}

// ---------------------------------------------------------------------------------------------

function runVariant(variant, run) {
  const out = join(WORK, `result-${variant}-${run}.json`)
  rmSync(out, { force: true })
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [VITEST, 'run', `variants/${variant}/`, '--reporter=dot'], {
      cwd: WORK,
      env: { ...process.env, BENCH_OUT: out, BENCH_TESTS: String(TESTS), CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${variant} run ${run} exited ${code}:\n${output.slice(-3000)}`))
      if (!/Test Files\s+1 passed \(1\)/.test(output)) return reject(new Error(`${variant} run ${run}: expected exactly one test file:\n${output.slice(-3000)}`))
      const data = JSON.parse(readFileSync(out, 'utf8'))
      if (data.times.length !== TESTS) return reject(new Error(`${variant}: timed ${data.times.length} tests, expected ${TESTS}`))
      resolve({ ...data, wallMs: performance.now() - started })
    })
  })
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
const median = (values) => quantile([...values].sort((a, b) => a - b), 0.5)
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits
const mb = (bytes) => round(bytes / 1048576, 2)

function summarize(runs) {
  const perRun = runs.map((r) => {
    const sorted = [...r.times].sort((a, b) => a - b)
    const first = r.samples[0]
    const last = r.samples.at(-1)
    return {
      medianUs: sorted[sorted.length >> 1] * 1000,
      p90Us: quantile(sorted, 0.9) * 1000,
      meanUs: (r.times.reduce((a, b) => a + b, 0) / r.times.length) * 1000,
      firstTestMs: r.times[0],
      // Growth from the end of the first test (after its one-time setup) to the end of the last.
      rssGrowth: last.rss - first.rss,
      // From test 250 on: one-time growth (SQLite's page cache filling up, code being compiled)
      // is behind; what is left grows with the number of tests.
      rssSteadyGrowth: last.rss - r.samples[1].rss,
      heapGrowth: last.heap - first.heap,
      externalGrowth: last.external - first.external,
      maxRss: r.maxRss,
      wallMs: r.wallMs,
      rssSeries: r.samples.map((s) => [s.test, mb(s.rss)]),
    }
  })
  const pick = (key) => median(perRun.map((r) => r[key]))
  return {
    medianUs: round(pick('medianUs')),
    p90Us: round(pick('p90Us')),
    meanUs: round(pick('meanUs')),
    firstTestMs: round(pick('firstTestMs'), 2),
    rssGrowthMb: mb(pick('rssGrowth')),
    rssGrowthAfter250Mb: mb(pick('rssSteadyGrowth')),
    heapGrowthMb: mb(pick('heapGrowth')),
    externalGrowthMb: mb(pick('externalGrowth')),
    maxRssMb: mb(pick('maxRss')),
    wallS: round(pick('wallMs') / 1000, 2),
    runs: perRun.map(({ rssSeries, rssGrowth, rssSteadyGrowth, heapGrowth, externalGrowth, maxRss, ...r }) => ({
      ...r, medianUs: round(r.medianUs), p90Us: round(r.p90Us), meanUs: round(r.meanUs), firstTestMs: round(r.firstTestMs, 2), wallMs: Math.round(r.wallMs),
      rssGrowthMb: mb(rssGrowth), rssGrowthAfter250Mb: mb(rssSteadyGrowth), heapGrowthMb: mb(heapGrowth), externalGrowthMb: mb(externalGrowth), maxRssMb: mb(maxRss), rssSeriesMb: rssSeries,
    })),
  }
}

/**
 * The engine alone, in a plain Node process without Vitest: enterTest/leaveTest around nothing
 * (its own per-test cost), then around the statements of placeOrder (as raw SQL, the nested
 * transaction included) with memory read after a full GC, to show that the engine itself does
 * not grow with the number of tests. Vitest's own per-test bookkeeping is not in these numbers.
 */
function engineOnly() {
  const script = join(WORK, 'engine-only.mjs')
  writeFileSync(script, `
const dist = ${JSON.stringify(pathToFileURL(join(WORK, 'node_modules', 'vitest-memory', 'dist', 'fixtures')).href)}
const { loadPeers } = await import(dist + '/peers.js')
const { installTracking } = await import(dist + '/tracking.js')
const { DbEngine } = await import(dist + '/engine.js')
const peers = await loadPeers()
installTracking(peers.Database)
const engine = await DbEngine.open({
  key: 'bench', file: false, pragmas: [['foreign_keys', 'ON']], foreignKeyCheck: false,
  migrations: { migrationsFolder: ${JSON.stringify(join(WORK, 'drizzle'))} },
}, peers)
const c = engine.client
const q = {
  customer: c.prepare("INSERT INTO customers (email, name) VALUES (?, ?) RETURNING id").pluck(),
  address: c.prepare("INSERT INTO addresses (customer_id, line1, city, country) VALUES (?, ?, 'Springfield', 'US') RETURNING id").pluck(),
  product: c.prepare("INSERT INTO products (sku, name, price_cents) VALUES (?, 'Widget', 1250) RETURNING id").pluck(),
  order: c.prepare("INSERT INTO orders (customer_id, status) VALUES (?, 'placed') RETURNING id").pluck(),
  item: c.prepare('INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, 2, 1250)'),
  payment: c.prepare("INSERT INTO payments (order_id, amount_cents, method) VALUES (?, 2500, 'card')"),
  shipment: c.prepare("INSERT INTO shipments (order_id, address_id, carrier) VALUES (?, ?, 'UPS')"),
  total: c.prepare('SELECT sum(quantity * price_cents) FROM order_items WHERE order_id = ?').pluck(),
}
function placeOrder(n) {
  const customer = q.customer.get('c' + n + '@example.com', 'Customer ' + n)
  const address = q.address.get(customer, n + ' Main St')
  const product = q.product.get('SKU-' + n)
  const order = c.transaction(() => {
    const order = q.order.get(customer)
    q.item.run(order, product)
    q.payment.run(order)
    q.shipment.run(order, address)
    return order
  })()
  if (q.total.get(order) !== 2500) throw new Error('wrong total')
}
const N = ${TESTS}
const file = {}
const ref = { name: 'bench', file, concurrent: false }
async function round(work) {
  const times = []
  const samples = []
  for (let i = 1; i <= N; i++) {
    const t = process.hrtime.bigint()
    await engine.enterTest(ref, undefined)
    if (work) placeOrder(i)
    const problem = await engine.leaveTest()
    times.push(Number(process.hrtime.bigint() - t) / 1000)
    if (problem) throw problem
    if (i === 1 || i % ${SAMPLE_EVERY} === 0) {
      globalThis.gc()
      const m = process.memoryUsage()
      samples.push({ test: i, rss: m.rss, heap: m.heapUsed })
    }
  }
  times.sort((a, b) => a - b)
  return { medianUs: times[times.length >> 1], p90Us: times[Math.floor(times.length * 0.9)], samples }
}
const empty = await round(false)
const work = await round(true)
engine.close()
console.log(JSON.stringify({ empty, work }))
`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script], { cwd: WORK, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`engine-only run exited ${code}`))
      const { empty, work } = JSON.parse(out)
      const first = work.samples[0]
      const last = work.samples.at(-1)
      resolve({
        medianUs: round(empty.medianUs, 2),
        p90Us: round(empty.p90Us, 2),
        withWork: {
          medianUs: round(work.medianUs, 1),
          p90Us: round(work.p90Us, 1),
          rssGrowthMb: mb(last.rss - first.rss),
          heapGrowthMb: mb(last.heap - first.heap),
          rssSeriesMb: work.samples.map((s) => [s.test, mb(s.rss)]),
        },
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------

prepare()
console.log(`bench/db: ${TESTS} tests per variant, ${RUNS} run(s) each, Node ${process.version}, ${os.cpus().length} CPUs`)
const raw = Object.fromEntries(SELECTED.map((v) => [v, []]))
for (let run = 1; run <= RUNS; run++) {
  // Interleaved, so drift in machine load spreads over every variant.
  for (const variant of SELECTED) {
    const result = await runVariant(variant, run)
    raw[variant].push(result)
    console.log(`  run ${run} ${variant.padEnd(16)} median ${(median(result.times) * 1000).toFixed(1).padStart(8)} us/test   RSS ${mb(result.samples[0].rss)} -> ${mb(result.samples.at(-1).rss)} MB   (${(result.wallMs / 1000).toFixed(1)} s)`)
  }
}
const variants = Object.fromEntries(SELECTED.map((v) => [v, summarize(raw[v])]))
const engine = await engineOnly()

const derived = {}
if (variants.plain && variants['fixture-empty']) derived.fixtureOverheadUs = round(variants['fixture-empty'].medianUs - variants.plain.medianUs)
if (variants['noop-fixture'] && variants['fixture-empty']) derived.fixtureOverheadBeyondVitestFixturesUs = round(variants['fixture-empty'].medianUs - variants['noop-fixture'].medianUs)
// Vitest keeps every test's context (with its fixture values) until the file ends: ~1.5 KB of
// heap per test that takes fixtures, whatever they do. The no-op fixture measures that; what the
// database adds on top is the fixture's own growth.
if (variants['noop-fixture'] && variants.fixture) {
  derived.rssGrowthBeyondVitestMb = round(variants.fixture.rssGrowthMb - variants['noop-fixture'].rssGrowthMb, 2)
  derived.heapGrowthBeyondVitestMb = round(variants.fixture.heapGrowthMb - variants['noop-fixture'].heapGrowthMb, 2)
  derived.rssGrowthAfter250BeyondVitestMb = round(variants.fixture.rssGrowthAfter250Mb - variants['noop-fixture'].rssGrowthAfter250Mb, 2)
}
if (variants.shared && variants.fixture) derived.fixtureOverheadOnWorkUs = round(variants.fixture.medianUs - variants.shared.medianUs)
if (variants['engine-per-test'] && variants.fixture) derived.speedupVsEnginePerTest = round(variants['engine-per-test'].medianUs / variants.fixture.medianUs)
// The target is about the fixture: does the engine grow with the number of tests? Measured on the
// engine alone (above). In the Vitest runs, any test that takes fixtures makes Vitest retain its
// context until the file ends (the no-op fixture shows it), which the fixture cannot change.
const checks = {
  overhead: derived.fixtureOverheadUs === undefined ? undefined : { target: `< ${TARGETS.overheadUs} us per test (median)`, value: derived.fixtureOverheadUs, ok: derived.fixtureOverheadUs < TARGETS.overheadUs },
  rssGrowth: {
    target: `< ${TARGETS.rssGrowthMb} MB over ${TESTS} tests (the engine with the work of every test, rolled back each time)`,
    value: engine.withWork.rssGrowthMb,
    inVitest: variants.fixture ? { fixture: variants.fixture.rssGrowthMb, noopFixture: variants['noop-fixture']?.rssGrowthMb, plain: variants.plain?.rssGrowthMb } : undefined,
    ok: engine.withWork.rssGrowthMb < TARGETS.rssGrowthMb,
  },
}

console.log(`\n${'variant'.padEnd(16)} ${'median us'.padStart(10)} ${'p90 us'.padStart(9)} ${'1st test ms'.padStart(12)} ${'RSS growth'.padStart(11)} ${'after 250'.padStart(10)} ${'heap growth'.padStart(12)} ${'max RSS'.padStart(9)}`)
for (const [name, v] of Object.entries(variants)) {
  console.log(`${name.padEnd(16)} ${String(v.medianUs).padStart(10)} ${String(v.p90Us).padStart(9)} ${String(v.firstTestMs).padStart(12)} ${`${v.rssGrowthMb} MB`.padStart(11)} ${`${v.rssGrowthAfter250Mb} MB`.padStart(10)} ${`${v.heapGrowthMb} MB`.padStart(12)} ${`${v.maxRssMb} MB`.padStart(9)}`)
}
if (derived.fixtureOverheadUs !== undefined && derived.fixtureOverheadOnWorkUs !== undefined && derived.speedupVsEnginePerTest !== undefined) console.log(`\nper test, median: the fixture adds ${derived.fixtureOverheadUs} us to an empty test (${derived.fixtureOverheadBeyondVitestFixturesUs} us beyond a no-op Vitest fixture), ${derived.fixtureOverheadOnWorkUs} us to the work (rolling it back); ${derived.speedupVsEnginePerTest}x faster than an engine per test`)
if (derived.rssGrowthBeyondVitestMb !== undefined) console.log(`RSS over ${TESTS} tests beyond the no-op fixture: ${derived.rssGrowthBeyondVitestMb} MB (from test 250 on: ${derived.rssGrowthAfter250BeyondVitestMb} MB); heap: ${derived.heapGrowthBeyondVitestMb} MB`)
console.log(`\nengine alone (no Vitest): enterTest + leaveTest median ${engine.medianUs} us (p90 ${engine.p90Us}); with placeOrder as raw SQL median ${engine.withWork.medianUs} us, RSS growth over ${TESTS} tests ${engine.withWork.rssGrowthMb} MB, heap ${engine.withWork.heapGrowthMb} MB`)
for (const [name, c] of Object.entries(checks)) if (c) console.log(`${c.ok ? 'PASS' : 'FAIL'} ${name}: ${c.value} (target ${c.target})`)

const result = {
  createdAt: new Date().toISOString(),
  command: `node bench/db.mjs --tests ${TESTS} --runs ${RUNS}${args.variants === VARIANTS.join(',') ? '' : ` --variants ${args.variants}`}`,
  environment: { node: process.version, vitest: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')).version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
  tests: TESTS,
  runs: RUNS,
  schema: 'examples/db/src/schema.ts (10 tables, 11 foreign keys, 9 indexes)',
  method: 'per-test time from the first beforeEach to after fixture teardown (onTestFinished), in one forked worker without the memory plugin; memory after a full gc() at test 1 and every 250 tests; growth = last sample - first sample. Summaries are the median over runs.',
  variants,
  engineOnly: engine,
  derived,
  checks,
}
if (!args['no-write']) {
  mkdirSync(dirname(RESULTS), { recursive: true })
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`\nwrote ${relative(ROOT, RESULTS)}`)
}
process.exit(Object.values(checks).every((c) => !c || c.ok) ? 0 : 1)
