// What the harness's timer tracking (src/worker/timers.ts) costs test code: setTimeout+clearTimeout,
// timeouts that fire, and the count at each reading, with the tracking against plain Node timers,
// side by side in one process (each variant wraps its own copy of the timer functions, never the
// globals). `--old <path>` adds another build of timers.js (e.g. a checkout's dist) to compare.
//   npm run build && node bench/timers.mjs [--old ../main/dist/worker/timers.js] [--no-write]
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const oldPath = args.includes('--old') ? resolve(args[args.indexOf('--old') + 1]) : undefined
const ROUNDS = 11
const CLEARED = 100_000
const FIRED = 20_000

function copyOf() {
  return { setTimeout, setInterval, clearTimeout, clearInterval }
}

async function variant(name, path) {
  const target = copyOf()
  let count = () => 0
  if (path) {
    const { trackTimers, liveTimers } = await import(pathToFileURL(path).href)
    const tracking = trackTimers(target)
    count = () => liveTimers(tracking)
  }
  return { name, ...target, count }
}

const noop = () => {}

// CPU time, not wall time: a timeout's wait (1 ms at least) and the machine's load are not its cost.
const cpuNs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) * 1000
}

/** CPU ns per setTimeout + clearTimeout. */
function cleared(v) {
  const t = cpuNs()
  for (let i = 0; i < CLEARED; i++) v.clearTimeout(v.setTimeout(noop, 1e6))
  const ns = (cpuNs() - t) / CLEARED
  v.count()
  return ns
}

/** CPU ns per timeout that fires (scheduled together, until the last has run, then one count). */
function fired(v) {
  return new Promise((done) => {
    let left = FIRED
    const t = cpuNs()
    const fire = () => {
      if (--left > 0) return
      v.count()
      done((cpuNs() - t) / FIRED)
    }
    for (let i = 0; i < FIRED; i++) v.setTimeout(fire, 0)
  })
}

/** µs for the count a reading takes, with 1,000 timers pending. */
function counted(v) {
  const timers = Array.from({ length: 1000 }, () => v.setTimeout(noop, 1e6))
  // The first count after a test sweeps the timers that finished during it; time the steady count.
  v.count()
  const t = performance.now()
  for (let i = 0; i < 100; i++) v.count()
  const us = ((performance.now() - t) * 1000) / 100
  for (const timer of timers) v.clearTimeout(timer)
  return us
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const variants = [await variant('node', undefined), await variant('tracked', join(here, '..', 'dist', 'worker', 'timers.js'))]
if (oldPath) variants.push(await variant('old', oldPath))
const samples = Object.fromEntries(variants.map((v) => [v.name, { cleared: [], fired: [], counted: [] }]))
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, so load on the machine falls on every variant alike.
  for (const v of variants) {
    samples[v.name].cleared.push(cleared(v))
    samples[v.name].fired.push(await fired(v))
    samples[v.name].counted.push(counted(v))
  }
}
const result = { node: process.version, rounds: ROUNDS, variants: {} }
for (const v of variants) {
  const s = samples[v.name]
  result.variants[v.name] = { setClearNs: Math.round(median(s.cleared)), firedNs: Math.round(median(s.fired)), countUs: Number(median(s.counted).toFixed(2)) }
}
const base = result.variants.node
for (const [name, r] of Object.entries(result.variants)) {
  console.log(`${name.padEnd(8)} set+clear ${String(r.setClearNs).padStart(5)} ns (${(r.setClearNs / base.setClearNs).toFixed(2)}x)  fired ${String(r.firedNs).padStart(5)} ns (${(r.firedNs / base.firedNs).toFixed(2)}x)  count with 1,000 pending ${r.countUs} µs`)
}
if (!args.includes('--no-write')) {
  const out = join(here, 'results', 'timers.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
}
