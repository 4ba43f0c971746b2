#!/usr/bin/env node
// Benchmark of diagnosis (README "Where it was allocated"): what it costs a passing test, and how
// long one diagnosis takes on a 100 MB heap. Needs a built dist/ (npm run build).
//
//   node --expose-gc bench/diagnose.mjs [--tests 1000] [--rounds 5] [--heap-mb 100] [--part passing|diagnosis|both]
//
// 1. Passing tests: one "test" allocates short-lived objects (a mix of arrays, objects
//    and strings, ~100 kB) and keeps nothing. Run side by side, in alternating rounds: no profiler; V8's
//    sampling heap profiler on for the whole run plus the per-test marker (what `diagnose:
//    'flagged'` does); the same with per-test start/stop of sampling (each stop builds a profile);
//    allocation tracking (HeapProfiler.startTrackingHeapObjects with trackAllocations, the other
//    candidate). Ratios against no profiler, median of the rounds.
// 2. One diagnosis on a heap of --heap-mb MB of live objects held in a module-level Map: the
//    sampling profile, the heap snapshot, reading it (streamed), finding the holders.
// Writes bench/results/diagnose.json (with --part both).
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const { Diagnoser } = await import(join(ROOT, 'dist/worker/diagnose.js'))
const { readSnapshot, findHolders } = await import(join(ROOT, 'dist/worker/snapshot.js'))
const { DIAGNOSE_SAMPLING_INTERVAL } = await import(join(ROOT, 'dist/constants.js'))

const { values: args } = parseArgs({ options: { part: { type: 'string', default: 'both' }, tests: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' }, 'heap-mb': { type: 'string', default: '100' } } })
const TESTS = Number(args.tests)
const ROUNDS = Number(args.rounds)
const HEAP_MB = Number(args['heap-mb'])

const session = new Session()
session.connect()
const post = (method, params) => {
  let result
  let failure
  session.post(method, params, (error, value) => { failure = error; result = value })
  if (failure) throw failure
  return result
}

let sink = 0
function passingTest(i) {
  const rows = []
  for (let k = 0; k < 1_000; k++) rows.push({ id: k, name: `row ${i} ${k}`, tags: [k, k + 1] })
  sink += rows.filter((r) => r.id % 3 === 0).length
}

const variants = {
  none: { start() {}, each() {}, stop() {} },
  'sampling (always on, marker per test)': {
    start() { v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness'); this.d = new Diagnoser(); },
    each() { this.d.markTest() },
    stop() { this.d.session?.post('HeapProfiler.stopSampling', {}, () => {}); this.d = undefined },
  },
  'sampling (start/stop per test)': {
    start() {},
    each(first) { if (!first) post('HeapProfiler.stopSampling'); post('HeapProfiler.startSampling', { samplingInterval: DIAGNOSE_SAMPLING_INTERVAL }) },
    stop() { post('HeapProfiler.stopSampling') },
  },
  'allocation tracking': {
    start() { post('HeapProfiler.enable'); post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true }) },
    each() {},
    stop() { post('HeapProfiler.stopTrackingHeapObjects', { reportProgress: false }); post('HeapProfiler.disable') },
  },
}

function runVariant(v, tests) {
  v.start()
  const t0 = performance.now()
  for (let i = 0; i < tests; i++) {
    v.each(i === 0)
    passingTest(i)
  }
  const ms = performance.now() - t0
  v.stop()
  return ms
}

// Warm up the test function before any variant is timed.
runVariant(variants.none, TESTS)
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
for (let r = 0; r < (args.part === 'diagnosis' ? 0 : ROUNDS); r++) {
  for (const [name, v] of Object.entries(variants)) {
    // Start/stop per test is slow: a tenth of the tests, scaled.
    const n = name.includes('per test') ? Math.max(20, TESTS / 10) : TESTS
    times[name].push(runVariant(v, n) * (TESTS / n))
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
let passing
if (args.part !== 'diagnosis') {
  const base = median(times.none)
  passing = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { msPerTest: +(median(xs) / TESTS).toFixed(4), ratio: +(median(xs) / base).toFixed(2) }]))
  console.log(`passing tests (${TESTS} tests of ~100 kB garbage each, median of ${ROUNDS} rounds):`)
  for (const [k, v] of Object.entries(passing)) console.log(`  ${k.padEnd(40)} ${v.msPerTest.toFixed(4)} ms/test  ${v.ratio.toFixed(2)}x`)
}
if (args.part === 'passing') process.exit(0)

// 2. One diagnosis on a big heap.
const held = new Map()
globalThis.benchHeld = () => held.size
const diagnoser = Diagnoser.forWorker()
diagnoser.markTest()
for (let i = 0; held.size < HEAP_MB * 1_000_000 / 700; i++) held.set(`key ${i}`, { i, values: new Array(60).fill(i), label: `item ${i}` })
globalThis.gc?.()
const heap = v8.getHeapStatistics().used_heap_size
const dir = join(os.tmpdir(), 'vitest-memory-bench-diagnose')
mkdirSync(dir, { recursive: true })
const parts = {}
let t = performance.now()
post('HeapProfiler.getSamplingProfile')
parts.profileMs = Math.round(performance.now() - t)
const file = join(dir, 'bench.heapsnapshot')
t = performance.now()
v8.writeHeapSnapshot(file)
parts.snapshotMs = Math.round(performance.now() - t)
parts.snapshotMB = +(statSync(file).size / 1e6).toFixed(1)
t = performance.now()
const graph = readSnapshot(file)
parts.readMs = Math.round(performance.now() - t)
t = performance.now()
const { holders } = findHolders(graph, (url) => (url.includes('bench/diagnose.mjs') ? 'bench/diagnose.mjs' : undefined))
parts.holdersMs = Math.round(performance.now() - t)
rmSync(file, { force: true })
t = performance.now()
const whole = diagnoser.diagnose(ROOT, heap, dir)
parts.wholeMs = Math.round(performance.now() - t)
console.log(`one diagnosis on a ${(heap / 1e6).toFixed(0)} MB heap: ${parts.wholeMs} ms (profile ${parts.profileMs} ms, snapshot ${parts.snapshotMs} ms for ${parts.snapshotMB} MB, read ${parts.readMs} ms, holders ${parts.holdersMs} ms)`)
console.log(`  held by: ${holders[0]?.path}; allocated at: ${whole.sites.slice(0, 2).map((s) => `${s.file}:${s.line} ${s.function}`).join(', ')}`)
rmSync(dir, { recursive: true, force: true })

const results = {
  date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, load: os.loadavg().map((x) => +x.toFixed(2)),
  tests: TESTS, rounds: ROUNDS, passing, diagnosis: { heapMB: +(heap / 1e6).toFixed(1), ...parts, holder: holders[0]?.path, sites: whole.sites.slice(0, 2) },
}
mkdirSync(join(BENCH, 'results'), { recursive: true })
if (args.part === 'both') writeFileSync(join(BENCH, 'results', 'diagnose.json'), `${JSON.stringify(results, null, 2)}\n`)
if (sink < 0) console.log(sink)
