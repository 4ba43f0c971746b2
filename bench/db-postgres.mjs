#!/usr/bin/env node
// Benchmark of the Postgres DB fixtures (vitest-memory/db/postgres), the engine alone (no
// Vitest): per engine, 5,000 tests on the schema of examples/db-postgres, each test entering the
// fixture's transaction, placing an order (three inserts, a savepoint with three more, an
// aggregate query: the statements placeOrder()/orderTotal() send) and rolling back.
//
//   node --expose-gc bench/db-postgres.mjs [--tests 5000] [--engines pglite,server] [--instances 8] [--no-write]
//
// Measures, per engine: the fixture's own cost per test (enter + leave around an empty test,
// median), the time of a test with the work, and the RSS growth over the run (after a full GC,
// from test 250 on, after the warm-up). For PGlite it also starts `--instances` instances the
// MEM-001 way (a new instance + migrations per test, kept) to measure what each costs. The
// server leg needs DATABASE_URL (a user allowed to create databases). Each leg runs in its own
// process. Needs a built dist/. Writes bench/results/db-postgres.json.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const RESULTS = join(BENCH, 'results', 'db-postgres.json')
const MIGRATIONS = join(ROOT, 'examples', 'db-postgres', 'drizzle')
const WARMUP = 250
const TARGETS = { pgliteOverheadUs: 100, serverOverheadUs: 300, rssGrowthMb: 10 }

const { values: args } = parseArgs({
  options: {
    tests: { type: 'string', default: '5000' },
    engines: { type: 'string', default: 'pglite,server' },
    instances: { type: 'string', default: '8' },
    'no-write': { type: 'boolean', default: false },
    // Internal: run one leg in this process and print its JSON (each leg gets a fresh process,
    // so one leg's memory never shows in another's RSS).
    leg: { type: 'string' },
  },
})
const TESTS = Number(args.tests)
const INSTANCES = Number(args.instances)
const ENGINES = args.engines.split(',').map((e) => e.trim()).filter(Boolean)
if (typeof globalThis.gc !== 'function') fail('run it with node --expose-gc')
if (!Number.isInteger(TESTS) || TESTS < WARMUP) fail(`--tests must be a whole number >= ${WARMUP}`)
for (const e of ENGINES) if (e !== 'pglite' && e !== 'server') fail(`--engines: unknown engine "${e}" (pglite, server)`)
if (ENGINES.includes('server') && !process.env.DATABASE_URL) fail('the server leg needs DATABASE_URL (or pass --engines pglite)')

function fail(message) {
  console.error(`bench/db-postgres: ${message}`)
  process.exit(1)
}

const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href)
const { PgEngine } = await dist('fixtures/pg-engine.js')
const { loadPgPeers, requirePgPeers } = await dist('fixtures/pg-peers.js')
const peers = await loadPgPeers()

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]
const rssMb = () => {
  globalThis.gc()
  return process.memoryUsage().rss / 2 ** 20
}

/** PGlite's WebAssembly memory (it grows, and never shrinks), in MB; undefined on a server. */
function wasmMb(client) {
  const heap = client?.mod?.HEAPU8 ?? client?.Module?.HEAPU8
  return heap ? Math.round(heap.byteLength / 2 ** 20) : undefined
}

/** The statements of placeOrder() and orderTotal() (examples/db-postgres/src/shop.ts). */
async function work(client, n) {
  const one = async (text, params) => (await client.query(text, params)).rows[0]
  const customer = await one('INSERT INTO customers (email, name) VALUES ($1, $2) RETURNING id', [`c${n}@example.com`, `Customer ${n}`])
  const address = await one("INSERT INTO addresses (customer_id, line1, city, country) VALUES ($1, $2, 'Springfield', 'US') RETURNING id", [customer.id, `${n} Main St`])
  const product = await one("INSERT INTO products (sku, name, price_cents) VALUES ($1, 'Widget', 1250) RETURNING id", [`SKU-${n}`])
  await client.query('SAVEPOINT sp1')
  const order = await one("INSERT INTO orders (customer_id, status) VALUES ($1, 'placed') RETURNING id", [customer.id])
  await client.query('INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES ($1, $2, 2, 1250)', [order.id, product.id])
  await client.query("INSERT INTO payments (order_id, amount_cents, method) VALUES ($1, 2500, 'card')", [order.id])
  await client.query("INSERT INTO shipments (order_id, address_id, carrier) VALUES ($1, $2, 'UPS')", [order.id, address.id])
  await client.query('RELEASE SAVEPOINT sp1')
  const total = await one('SELECT sum(quantity * price_cents)::int AS total FROM order_items WHERE order_id = $1', [order.id])
  if (total.total !== 2500) throw new Error(`order total ${total.total}`)
}

async function benchEngine(kind) {
  const config = { key: `bench-${kind}`, kind, migrations: { migrationsFolder: MIGRATIONS }, ...(kind === 'server' ? { url: process.env.DATABASE_URL } : {}) }
  let t = performance.now()
  const engine = await PgEngine.open(config, peers, requirePgPeers(peers, kind))
  const openMs = performance.now() - t
  const file = {}
  const ref = (n) => ({ name: `test ${n}`, file, concurrent: false })
  const empty = []
  const full = []
  let rssStart = 0
  let heapStart = 0
  const rssAt = []
  const heapAt = []
  const wasmAt = []
  const wasmStart = wasmMb(engine.client)
  for (let n = 1; n <= TESTS + WARMUP; n++) {
    if (n === WARMUP + 1) rssStart = rssMb()
    t = performance.now()
    await engine.enterTest(ref(n), undefined)
    const problem = await engine.leaveTest()
    if (problem) throw problem
    if (n > WARMUP) empty.push((performance.now() - t) * 1000)
    t = performance.now()
    await engine.enterTest(ref(n), undefined)
    await work(engine.client, n)
    const problem2 = await engine.leaveTest()
    if (problem2) throw problem2
    if (n > WARMUP) full.push((performance.now() - t) * 1000)
    if (n === WARMUP + 1) heapStart = process.memoryUsage().heapUsed
    if (n > WARMUP && (n - WARMUP) % 1000 === 0) {
      rssAt.push(Math.round(rssMb() - rssStart))
      heapAt.push(Number(((process.memoryUsage().heapUsed - heapStart) / 2 ** 20).toFixed(1)))
      wasmAt.push(wasmMb(engine.client))
    }
  }
  const rssEnd = rssMb()
  await engine.close()
  return {
    engine: kind,
    openMs: Math.round(openMs),
    overheadUsMedian: Number(median(empty).toFixed(1)),
    overheadUsP90: Number(p90(empty).toFixed(1)),
    testWithWorkUsMedian: Math.round(median(full)),
    rssStartMb: Math.round(rssStart),
    rssGrowthMb: Number((rssEnd - rssStart).toFixed(1)),
    rssGrowthEvery1000: rssAt,
    rssGrowthMaxMb: Math.max(0, ...rssAt),
    heapGrowthEvery1000: heapAt,
    ...(wasmStart === undefined ? {} : { wasmMemoryStartMb: wasmStart, wasmMemoryEvery1000: wasmAt }),
  }
}

async function benchInstances() {
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  const { migrate } = await import('drizzle-orm/pglite/migrator')
  const kept = []
  const before = rssMb()
  const times = []
  const rss = []
  for (let i = 1; i <= INSTANCES; i++) {
    const t = performance.now()
    const client = new PGlite()
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS })
    await client.query('BEGIN')
    await work(client, i)
    await client.query('COMMIT')
    times.push(performance.now() - t)
    kept.push(client)
    rss.push(Math.round(rssMb() - before))
  }
  for (const c of kept) await c.close()
  return {
    instances: INSTANCES,
    startAndMigrateMsMedian: Math.round(median(times)),
    rssGrowthMbAfterEach: rss,
    rssPerInstanceMb: Math.round((rss.at(-1) - rss[0]) / Math.max(1, INSTANCES - 1)),
    firstInstanceMb: rss[0],
  }
}

if (args.leg) {
  const result = args.leg === 'instances' ? await benchInstances() : await benchEngine(args.leg)
  console.log(`LEG ${JSON.stringify(result)}`)
  process.exit(0)
}

/** Run one leg in a fresh process (same flags) and return its result. */
function runLeg(leg) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--tests', String(TESTS), '--instances', String(INSTANCES), '--engines', args.engines, '--leg', leg], { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'inherit'] })
  const line = child.stdout.split('\n').find((l) => l.startsWith('LEG '))
  if (child.status !== 0 || !line) fail(`the ${leg} leg failed (exit ${child.status ?? child.signal})`)
  const result = JSON.parse(line.slice(4))
  console.log(JSON.stringify(result))
  return result
}

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Number(l.toFixed(1))), tests: TESTS, targets: TARGETS, engines: [] }
for (const kind of ENGINES) results.engines.push(runLeg(kind))
if (ENGINES.includes('pglite') && INSTANCES > 0) results.enginePerTest = runLeg('instances')
results.loadavgEnd = os.loadavg().map((l) => Number(l.toFixed(1)))
const pkg = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
results.versions = { pglite: pkg('@electric-sql/pglite'), pg: pkg('pg'), 'drizzle-orm': pkg('drizzle-orm') }
if (!args['no-write']) writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
console.log(JSON.stringify({ loadavg: results.loadavg, loadavgEnd: results.loadavgEnd, versions: results.versions }))
