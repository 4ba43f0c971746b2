// Where a flagged test's memory was allocated and what keeps it (README "Where it was allocated").
//
// Allocation sites: V8's sampling heap profiler runs for the whole worker once diagnosis is on (one
// sample per ~64 kB allocated, a stack walk each; no per-test start or stop, whose profile costs a
// full GC). Its profile holds live samples only, in order. Right before each test's start reading
// the harness allocates a marker larger than the sampling interval, which V8 always samples
// (randomness suppressed); the samples after the latest marker are the test's, and those still in
// the profile at the verdict are what the test allocated and kept. Each is charged to the innermost
// frame in user code, mapped through Vitest's source maps to the `.ts` line.
//
// Holders: a heap snapshot at the verdict, read as a stream (snapshot.ts); the user-module variables
// under which the most memory hangs, ranked by growth since the previous diagnosis in this worker.
import { mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import type { SourceMapInput, TraceMap } from '@jridgewell/trace-mapping'
import { DIAGNOSE_SAMPLING_INTERVAL, DIAGNOSE_SITES } from '../constants.ts'
import type { AllocationSite, Diagnosis, RetainerPath } from '../types.ts'
import { findHolders, readSnapshot } from './snapshot.ts'

const localRequire = createRequire(import.meta.url)
const KEY = Symbol.for('vitest-memory.diagnoser')

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children: ProfileNode[] }
interface SamplingProfile { head: ProfileNode; samples: Array<{ size: number; nodeId: number; ordinal: number }> }
interface Session { connect(): void; post(method: string, params: object | undefined, cb: (error: Error | null, result?: unknown) => void): void }

/** The marker function's name, found in the profile's call frames. */
const MARKER = 'vitestMemoryTestMarker'
/** A holey array of this many slots takes just over the sampling interval on the heap. */
function vitestMemoryTestMarker(): unknown[] {
  return new Array(DIAGNOSE_SAMPLING_INTERVAL / 8 + 64)
}

/** The global where Vitest keeps its worker state (Vitest 4 and 5). */
const WORKER_STATE = '__vitest_worker__'
/** Vitest's evaluated modules, where the transformed code (with its inline source map) lives. */
interface ModuleGraph { getModuleById(id: string): { meta?: { code?: string; sourceMap?: unknown } } | undefined }

/** One per worker thread: the inspector session, the running profiler, the last holder sizes. */
export class Diagnoser {
  private session: Session | undefined
  /** Held until the next test's marker replaces it: a marker the GC took would leave the profile. */
  marker: unknown[] | undefined
  private failed: string | undefined
  private previous: Map<number, number> | undefined
  private readonly maps = new Map<string, TraceMap | null>()

  static forWorker(): Diagnoser {
    const g = globalThis as { [KEY]?: Diagnoser }
    return (g[KEY] ??= new Diagnoser())
  }

  /** Sampling on (once per worker), then this test's marker. Right before the start reading. */
  markTest(): void {
    if (this.failed) return
    if (!this.session) this.startSampling()
    this.marker = undefined
    this.marker = vitestMemoryTestMarker()
  }

  private startSampling(): void {
    try {
      // Sample every N bytes exactly, so the marker (larger than N) is always sampled.
      v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness')
      const { Session } = localRequire('node:inspector') as { Session: new () => Session }
      const session = new Session()
      session.connect()
      post(session, 'HeapProfiler.startSampling', { samplingInterval: DIAGNOSE_SAMPLING_INTERVAL })
      this.session = session
    } catch (error) {
      this.failed = `the heap profiler did not start: ${(error as Error).message}`
    }
  }

  /**
   * Sites and holders for the test that just ended (its end reading taken, so the heap holds live
   * objects); `noSnapshot` says why no holders are looked for. Never throws: what is missing and
   * why is reported in `skipped`.
   */
  diagnose(root: string, retained: number, snapshotDir: string, noSnapshot?: string): Diagnosis {
    const started = performance.now()
    const diagnosis: Diagnosis = { sites: [], paths: [], ms: 0 }
    const problems: string[] = []
    if (this.failed) problems.push(this.failed)
    else {
      try {
        diagnosis.sites = this.sites(root)
      } catch (error) {
        problems.push(`allocation sites failed: ${(error as Error).message}`)
      }
    }
    if (noSnapshot) problems.push(noSnapshot)
    else {
      try {
        diagnosis.paths = this.holders(root, retained, snapshotDir)
      } catch (error) {
        problems.push(`retainer paths failed: ${(error as Error).message}`)
      }
    }
    // Nothing failed and nothing was found: say so, or an empty diagnosis reads as a broken one.
    if (!problems.length && !diagnosis.sites.length && !diagnosis.paths.length) {
      problems.push('nothing to name in project code: no allocation of the test still alive was sampled there (samples are one per 64 KiB), and no holder in its modules grew; what it retained is held by a dependency or by Vitest')
    }
    if (problems.length) diagnosis.skipped = problems.join('; ')
    diagnosis.ms = Math.round(performance.now() - started)
    return diagnosis
  }

  private sites(root: string): AllocationSite[] {
    const { profile } = post(this.session!, 'HeapProfiler.getSamplingProfile') as { profile: SamplingProfile }
    const parent = new Map<number, ProfileNode | undefined>()
    const byId = new Map<number, ProfileNode>()
    const walk = (node: ProfileNode, up: ProfileNode | undefined) => {
      byId.set(node.id, node)
      parent.set(node.id, up)
      for (const child of node.children) walk(child, node)
    }
    walk(profile.head, undefined)
    let since = -1
    for (const s of profile.samples) if (s.ordinal > since && byId.get(s.nodeId)?.callFrame.functionName === MARKER) since = s.ordinal
    if (since < 0) throw new Error('the test marker was not sampled')
    const sites = new Map<string, AllocationSite>()
    for (const sample of profile.samples) {
      if (sample.ordinal <= since) continue
      // The innermost frame in user code: a builtin (Array.from, push) charges its caller.
      let node = byId.get(sample.nodeId)
      while (node && !userFile(root, node.callFrame.url)) node = parent.get(node.id)
      if (!node) continue
      const frame = node.callFrame
      const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}`
      let site = sites.get(key)
      if (!site) {
        site = { ...this.original(root, frame), bytes: 0, samples: 0 }
        sites.set(key, site)
      }
      site.bytes += sample.size
      site.samples++
    }
    return [...sites.values()].sort((a, b) => b.bytes - a.bytes).slice(0, DIAGNOSE_SITES)
  }

  /** A generated position in the user's source, through the module's inline source map. */
  private original(root: string, frame: CallFrame): Omit<AllocationSite, 'bytes' | 'samples'> {
    const file = filePath(frame.url)
    // No position (-1): the module's own top level, as V8 reports it for a module evaluated again
    // after vi.resetModules(). That function starts at the top of the file.
    if (frame.lineNumber < 0 || frame.columnNumber < 0) return { file: shown(root, file), line: 1, column: 1, function: '(module top level)' }
    const name = frame.functionName || '(anonymous)'
    const map = this.mapFor(frame.url)
    if (map) {
      const pos = traceMapping().originalPositionFor(map, { line: frame.lineNumber + 1, column: frame.columnNumber })
      if (pos.source && pos.line !== null) {
        const source = pos.source.startsWith('file://') ? fileURLToPath(pos.source) : isAbsolute(pos.source) ? pos.source : resolve(dirname(file), pos.source)
        return { file: shown(root, source), line: pos.line, column: pos.column + 1, function: pos.name && name === '(anonymous)' ? pos.name : name }
      }
    }
    return { file: shown(root, file), line: frame.lineNumber + 1, column: frame.columnNumber + 1, function: name }
  }

  /** The module's source map: Vitest 5 keeps it next to the code (`meta.sourceMap`), Vitest 4 inline. */
  private mapFor(url: string): TraceMap | null {
    let map = this.maps.get(url)
    if (map !== undefined) return map
    map = null
    const state = (globalThis as Record<string, { evaluatedModules?: ModuleGraph } | undefined>)[WORKER_STATE]
    const meta = state?.evaluatedModules?.getModuleById(url)?.meta
    let json = typeof meta?.sourceMap === 'string' ? meta.sourceMap : undefined
    const code = meta?.code
    const inline = json === undefined && code ? code.lastIndexOf('sourceMappingURL=data:application/json;') : -1
    if (code && inline >= 0) {
      const comma = code.indexOf(',', inline)
      const end = code.indexOf('\n', comma)
      json = Buffer.from(code.slice(comma + 1, end < 0 ? code.length : end).trim(), 'base64').toString('utf8')
    }
    if (json !== undefined) {
      try {
        map = new (traceMapping().TraceMap)(JSON.parse(json) as SourceMapInput)
      } catch {
        map = null
      }
    }
    this.maps.set(url, map)
    return map
  }

  private holders(root: string, retained: number, dir: string): RetainerPath[] {
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `diagnose-${process.pid}-${Date.now()}.heapsnapshot`)
    try {
      v8.writeHeapSnapshot(file)
      const graph = readSnapshot(file)
      const { holders, sizes } = findHolders(graph, (url) => userFile(root, url) ? shown(root, filePath(url)) : undefined, {
        previous: this.previous,
        minBytes: Math.min(retained / 4, 64_000),
      })
      this.previous = sizes
      return holders.map((h) => {
        const path: RetainerPath = { path: h.path, bytes: h.bytes }
        if (h.bytesBefore !== undefined) path.bytesBefore = h.bytesBefore
        return path
      })
    } finally {
      rmSync(file, { force: true })
    }
  }
}

/** Loaded on the first diagnosis only: a worker that diagnoses nothing never loads it. */
function traceMapping(): typeof import('@jridgewell/trace-mapping') {
  return localRequire('@jridgewell/trace-mapping') as typeof import('@jridgewell/trace-mapping')
}

function post(session: Session, method: string, params?: object): unknown {
  let result: unknown
  let failure: Error | null = null
  let done = false
  // A session on the worker's own thread answers synchronously.
  session.post(method, params, (error, value) => {
    failure = error
    result = value
    done = true
  })
  if (failure) throw failure
  if (!done) throw new Error(`${method} did not answer synchronously`)
  return result
}

function filePath(url: string): string {
  return url.startsWith('file://') ? fileURLToPath(url) : url
}

/** Code the user wrote: under the root, not a dependency, not this harness. */
function userFile(root: string, url: string): boolean {
  if (!url || url.startsWith('node:')) return false
  const file = filePath(url)
  if (!isAbsolute(file) || file.includes('/node_modules/') || file.includes('\\node_modules\\')) return false
  const rel = relative(root, file)
  return !rel.startsWith('..') && !isAbsolute(rel) && !file.startsWith(HARNESS_DIR)
}

// This module's own folder (src/worker, or the built dist): the harness's frames are not the test's.
const HARNESS_DIR = dirname(fileURLToPath(import.meta.url)) + sep

function shown(root: string, file: string): string {
  const rel = relative(root, file)
  return (rel.startsWith('..') || isAbsolute(rel) ? file : rel).split('\\').join('/')
}
