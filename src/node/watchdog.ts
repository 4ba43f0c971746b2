// The RSS watchdog, in the main process: samples every worker's resident set size about every
// 100 ms and stops a worker that passes a hard limit, before the machine runs out of memory
// (seeds/000: a test that reached 155 GB). It finds workers through the files they write into the
// running-notes folder (`worker-<id>.pid` when a file starts, `<id>.json` while a test runs) and
// leaves `stopped-<id>.json` there for the reporter, which names the stopped test in the report.
//
// Process pools (forks, vmForks): each worker is a child process; its RSS is read with pidusage
// and over the limit it gets SIGKILL (a worker stuck in synchronous code can still be killed).
// Thread pools (threads, vmThreads): the workers are threads of this very process and share its
// RSS, so the only reading is the whole process. Over the limit, the threads that are running a
// test are terminated with `Worker#terminate()` (which interrupts synchronous code too); the Worker
// objects come from the documented `process.on('worker')` event. RSS cannot be split between
// threads, so when several threads run tests at once they are all stopped and the report says so.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { byText } from '../shared/order.ts'
import { formatBytes } from '../shared/size.ts'

/** Watchdog settings, resolved: bytes and milliseconds. */
export interface ResolvedWatchdog {
  /** Hard RSS limit of one worker process (for thread pools: of the whole Vitest process). */
  rss: number
  /** Sampling interval in ms. */
  interval: number
}

/** What a worker notes about the test it is running (see src/worker/setup.ts). */
export interface RunningNote {
  id: string
  file: string
  name: string
  project: string
  pid: number
  startedAt: number
}

/**
 * What the watchdog leaves in `stopped-<id>.json` when it stops a worker (`rss-limit`), or in
 * `died-<id>.json` when a worker it was sampling died by itself in the middle of a test (`died`).
 */
export interface StopRecord {
  reason: 'rss-limit' | 'died'
  /** Worker id as in the notes: `pid` or `pid-threadId`. */
  id: string
  pid: number
  /** 0 for a process. */
  threadId: number
  pool: string
  limit: number
  /** The reading that passed the limit (`died`: the last reading). */
  rss: number
  /** When the worker was stopped (`died`: when the watchdog found it gone), ms since epoch. */
  at: number
  /** RSS readings before the stop (or the death), `[ms since epoch, bytes]`, oldest first. */
  rssCurve: Array<[number, number]>
  /** The test the worker was running, if any (none: loading a file, or in its hooks). */
  test?: RunningNote
  /** Thread pools: how many threads of the process were stopped together (they share one RSS). */
  threads?: number
}

interface PidFile {
  pid: number
  threadId: number
  pool: string
}

interface Sample {
  rss: number
  ppid?: number
}

type Usage = (pids: number[]) => Promise<Map<number, Sample>>

/**
 * Memory the machine gives this process: the container's (cgroup) limit when there is one below
 * the physical memory, else the physical memory.
 */
export function machineMemory(): number {
  const total = totalmem()
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.()
  return typeof constrained === 'number' && constrained > 0 && constrained < total ? constrained : total
}

/** At most this many readings are kept per process: 30 s at the default interval. */
const HISTORY = 300
/** pidusage caches an open /proc fd per pid until it has not been asked for this long. */
const PIDUSAGE_MAXAGE = 2000

const require = createRequire(import.meta.url)

/** RSS of child processes through pidusage (loaded on first use: nothing is loaded when the watchdog is off). */
function pidusageSampler(): Usage {
  type Stat = { memory: number; ppid?: number } | null | undefined
  const pidusage = require('pidusage') as (pids: number[], options: { maxage: number }) => Promise<Record<string, Stat>>
  return async (pids) => {
    const out = new Map<number, Sample>()
    if (pids.length === 0) return out
    let stats: Record<string, Stat> = {}
    try {
      // With several pids a dead one comes back empty; with one, the promise rejects.
      stats = await pidusage(pids, { maxage: PIDUSAGE_MAXAGE })
    } catch {
      return out
    }
    for (const pid of pids) {
      const s = stats[pid]
      if (s && typeof s.memory === 'number') {
        const sample: Sample = { rss: s.memory }
        if (typeof s.ppid === 'number') sample.ppid = s.ppid
        out.set(pid, sample)
      }
    }
    return out
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface WatchdogHooks {
  /** Told once per stop, at the moment it happens. */
  log?: (message: string) => void
  /** Replaces pidusage (tests). */
  usage?: Usage
  /** Replaces `process.memoryUsage.rss()` for this process (tests). */
  ownRss?: () => number
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined
  private running = false
  /** Set by stop(): a round still waiting for its readings acts on nothing. */
  private halted = false
  /** Readings per process, newest last; only for processes that still have a worker. */
  private readonly history = new Map<number, Array<[number, number]>>()
  /** pid files already read, by file name (their content never changes). */
  private readonly pidFiles = new Map<string, PidFile>()
  /** Child processes already killed, until they are gone. */
  private readonly killed = new Set<number>()
  /** Workers (by id) stopped or found dead during this run: recorded once. */
  private readonly recorded = new Set<string>()
  /** Worker threads of this process, by threadId (from `process.on('worker')`). */
  private readonly threads = new Map<number, Worker>()
  /** Thread pools: after stopping threads, wait for the RSS to come back under the limit before stopping more. */
  private threadsArmed = true
  private usage: Usage | undefined
  private readonly onWorker = (worker: Worker): void => {
    const { threadId } = worker // -1 once the thread has exited
    this.threads.set(threadId, worker)
    worker.once('exit', () => {
      this.threads.delete(threadId)
      // A thread that ends in the middle of a test, and not by our hand: the V8 heap limit, a crash.
      const id = `${process.pid}-${threadId}`
      const announced = this.pidFiles.get(`worker-${id}.pid`)
      if (this.running && announced) this.noteDeath(id, announced, this.history.get(process.pid))
    })
  }

  constructor(
    private readonly runningDir: string,
    readonly options: ResolvedWatchdog,
    private readonly hooks: WatchdogHooks = {},
  ) {
    // Registered now, before any pool starts a thread: a thread created earlier cannot be stopped.
    process.on('worker', this.onWorker)
  }

  /** Start sampling (at the start of a test run). */
  start(): void {
    if (this.running) return
    this.running = true
    this.halted = false
    this.schedule()
  }

  /** Stop sampling and forget every reading (at the end of a run). */
  stop(): void {
    // A child that died since the last round, in the middle of a test: record it before forgetting.
    for (const w of this.pidFiles.values()) {
      if (w.pid !== process.pid && !this.killed.has(w.pid) && !isAlive(w.pid)) this.noteDeath(String(w.pid), w, this.history.get(w.pid))
    }
    this.running = false
    this.halted = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.history.clear()
    this.pidFiles.clear()
    this.killed.clear()
    this.recorded.clear()
    this.threadsArmed = true
  }

  /** Stop and let go of the process (when Vitest closes). */
  close(): void {
    this.stop()
    process.off('worker', this.onWorker)
    this.threads.clear()
  }

  /** Processes with readings kept (for tests: must not grow with dead workers). */
  get watched(): number[] {
    return [...this.history.keys()]
  }

  private schedule(): void {
    if (!this.running) return
    this.timer = setTimeout(() => {
      this.tick().catch((error: unknown) => this.hooks.log?.(`vitest-memory watchdog: ${(error as Error).message}`)).finally(() => this.schedule())
    }, this.options.interval)
    this.timer.unref()
  }

  /** The workers that have announced themselves, by worker id. */
  private scan(): Map<string, PidFile> {
    let names: string[]
    try {
      names = readdirSync(this.runningDir)
    } catch {
      names = []
    }
    const seen = new Set<string>()
    const workers = new Map<string, PidFile>()
    for (const name of names) {
      if (!name.startsWith('worker-') || !name.endsWith('.pid')) continue
      seen.add(name)
      let entry = this.pidFiles.get(name)
      if (!entry) {
        try {
          const parsed = JSON.parse(readFileSync(join(this.runningDir, name), 'utf8')) as PidFile
          if (!Number.isInteger(parsed.pid) || !Number.isInteger(parsed.threadId)) continue
          entry = { pid: parsed.pid, threadId: parsed.threadId, pool: String(parsed.pool) }
          this.pidFiles.set(name, entry)
        } catch {
          continue // being written: next tick
        }
      }
      workers.set(name.slice('worker-'.length, -'.pid'.length), entry)
    }
    for (const name of this.pidFiles.keys()) if (!seen.has(name)) this.pidFiles.delete(name)
    return workers
  }

  /** One round: read every worker's RSS, stop those over the limit, forget the dead. */
  async tick(): Promise<void> {
    const workers = this.scan()
    const children = new Set<number>()
    const ownThreads = new Map<string, PidFile>()
    for (const [id, w] of workers) {
      if (w.pid === process.pid) {
        if (w.threadId !== 0) ownThreads.set(id, w)
      } else {
        children.add(w.pid)
      }
    }
    this.usage ??= this.hooks.usage ?? pidusageSampler()
    const samples = await this.usage([...children])
    if (this.halted) return
    const now = Date.now()
    const live = new Set<number>()

    for (const pid of children) {
      const sample = samples.get(pid)
      // Not our child any more (the pid was reused) or gone: forget it and its pid files.
      if (!sample ? !isAlive(pid) : sample.ppid !== undefined && sample.ppid !== process.pid) {
        const w = [...workers.values()].find((x) => x.pid === pid)
        if (w && !this.killed.has(pid)) this.noteDeath(String(pid), w, this.history.get(pid))
        this.forget(pid, workers)
        continue
      }
      live.add(pid)
      // RSS 0: a process that has exited and not been reaped yet (a zombie). Not a reading.
      if (!sample || sample.rss === 0) continue
      const curve = this.record(pid, now, sample.rss)
      if (sample.rss > this.options.rss && !this.killed.has(pid)) this.stopProcess(pid, workers, curve, now)
    }

    // Threads that have exited: drop their pid files so they are not read again.
    for (const [id, w] of ownThreads) {
      if (!this.threads.has(w.threadId)) {
        rmSync(join(this.runningDir, `worker-${id}.pid`), { force: true })
        ownThreads.delete(id)
      }
    }
    if (ownThreads.size > 0) {
      live.add(process.pid)
      const rss = this.hooks.ownRss ? this.hooks.ownRss() : process.memoryUsage.rss()
      const curve = this.record(process.pid, now, rss)
      if (rss <= this.options.rss) this.threadsArmed = true
      else if (this.threadsArmed) this.stopThreads(ownThreads, curve, now)
    }

    for (const pid of this.history.keys()) if (!live.has(pid)) this.history.delete(pid)
    for (const pid of this.killed) if (!live.has(pid)) this.killed.delete(pid)
  }

  private record(pid: number, now: number, rss: number): Array<[number, number]> {
    let curve = this.history.get(pid)
    if (!curve) this.history.set(pid, (curve = []))
    curve.push([now, rss])
    if (curve.length > HISTORY) curve.splice(0, curve.length - HISTORY)
    return curve
  }

  private forget(pid: number, workers: Map<string, PidFile>): void {
    this.history.delete(pid)
    this.killed.delete(pid)
    for (const [id, w] of workers) {
      if (w.pid === pid) rmSync(join(this.runningDir, `worker-${id}.pid`), { force: true })
    }
  }

  private note(id: string): RunningNote | undefined {
    try {
      const note = JSON.parse(readFileSync(join(this.runningDir, `${id}.json`), 'utf8')) as RunningNote
      return typeof note.name === 'string' && typeof note.file === 'string' ? note : undefined
    } catch {
      return undefined // no test running (loading the file, or in its hooks)
    }
  }

  /** The curve of the current test: readings since it started (at least the last two). */
  private curveFor(curve: Array<[number, number]>, test: RunningNote | undefined): Array<[number, number]> {
    if (!test) return curve.slice()
    const from = curve.findIndex(([t]) => t >= test.startedAt - this.options.interval)
    return curve.slice(Math.max(0, Math.min(from === -1 ? curve.length : from, curve.length - 2)))
  }

  private write(record: StopRecord): void {
    this.recorded.add(record.id)
    try {
      writeFileSync(join(this.runningDir, `${record.reason === 'died' ? 'died' : 'stopped'}-${record.id}.json`), JSON.stringify(record))
    } catch {
      // The folder is gone (the run is ending): the stop is still logged.
    }
  }

  private describe(record: StopRecord): string {
    const what = record.test ? `running ${record.test.name} (${record.test.file})` : 'outside any test (loading a file or in its hooks)'
    return `${formatBytes(record.rss)} > limit ${formatBytes(record.limit)}, ${what}`
  }

  /** A worker gone by itself while its test ran: keep the readings that led there. */
  private noteDeath(id: string, w: PidFile, curve: Array<[number, number]> | undefined): void {
    if (this.recorded.has(id) || !curve?.length) return
    const test = this.note(id)
    if (!test) return // between tests: it ended normally
    const last = curve[curve.length - 1]!
    this.write({ reason: 'died', id, pid: w.pid, threadId: w.threadId, pool: w.pool, limit: this.options.rss, rss: last[1], at: Date.now(), rssCurve: this.curveFor(curve, test), test })
  }

  private stopProcess(pid: number, workers: Map<string, PidFile>, curve: Array<[number, number]>, now: number): void {
    const id = String(pid)
    const w = workers.get(id) ?? [...workers.values()].find((x) => x.pid === pid)
    const test = this.note(id)
    const record: StopRecord = { reason: 'rss-limit', id, pid, threadId: 0, pool: w?.pool ?? 'forks', limit: this.options.rss, rss: curve[curve.length - 1]![1], at: now, rssCurve: this.curveFor(curve, test) }
    if (test) record.test = test
    this.write(record)
    this.killed.add(pid)
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
    this.hooks.log?.(`vitest-memory watchdog: stopped worker ${pid}: RSS ${this.describe(record)}`)
  }

  private stopThreads(ownThreads: Map<string, PidFile>, curve: Array<[number, number]>, now: number): void {
    const withTest = [...ownThreads].map(([id, w]) => ({ id, w, test: this.note(id) }))
    const busy = withTest.filter((t) => t.test)
    // RSS is one number for all threads: stop those running a test, or every thread if none is.
    const targets = busy.length > 0 ? busy : withTest
    const stoppable = targets.filter((t) => this.threads.has(t.w.threadId))
    if (stoppable.length === 0) return
    this.threadsArmed = false
    for (const { id, w, test } of stoppable) {
      const record: StopRecord = { reason: 'rss-limit', id, pid: w.pid, threadId: w.threadId, pool: w.pool, limit: this.options.rss, rss: curve[curve.length - 1]![1], at: now, rssCurve: this.curveFor(curve, test), threads: stoppable.length }
      if (test) record.test = test
      this.write(record)
      void this.threads.get(w.threadId)!.terminate().catch(() => {})
      this.hooks.log?.(`vitest-memory watchdog: stopped thread ${w.threadId}: process RSS ${this.describe(record)}${stoppable.length > 1 ? ` (with ${stoppable.length - 1} other thread(s): RSS is shared)` : ''}`)
    }
  }
}

/** The stops (and deaths) the watchdog recorded in `runningDir` during the run. */
export function readStops(runningDir: string): StopRecord[] {
  const found: StopRecord[] = []
  let names: string[] = []
  try {
    names = readdirSync(runningDir)
  } catch {
    return found
  }
  for (const name of names) {
    if (!/^(stopped|died)-/.test(name) || !name.endsWith('.json')) continue
    try {
      found.push(JSON.parse(readFileSync(join(runningDir, name), 'utf8')) as StopRecord)
    } catch {
      // unreadable: skip
    }
  }
  return found.sort((a, b) => a.at - b.at || byText(a.id, b.id))
}

/** How a stop appears in the report, on the entry of the test that was running. */
export interface ReportStop {
  /** Why: the worker's RSS passed `watchdog.rss`. */
  reason: 'rss-limit'
  /** The process whose RSS was read (in thread pools, the Vitest process itself). */
  pid: number
  /** The hard limit, bytes. */
  limit: number
  /** The reading that passed it, bytes. */
  rss: number
  /** When the worker was stopped (ms since epoch). */
  at: number
  /** RSS readings from the start of the test to the stop: `[ms since epoch, bytes]`. */
  rssCurve: Array<[number, number]>
  /** Thread pools: threads stopped together because they share the process's RSS. */
  threads?: number
}

/** How a worker that died by itself mid-test appears in the report: the watchdog's last readings of it. */
export interface ReportDeath {
  /** The process whose RSS was read (in thread pools, the Vitest process itself). */
  pid: number
  /** The last reading before the worker was found gone, bytes. */
  rss: number
  /** When the watchdog found it gone (ms since epoch). */
  at: number
  /** RSS readings from the start of the test to the last one: `[ms since epoch, bytes]`. */
  rssCurve: Array<[number, number]>
}

interface InterruptedLike {
  id: string
  file: string
  name: string
  project: string
  stopped?: ReportStop
  died?: ReportDeath
}

/**
 * Reporter side: put each stop on the `interrupted` entry of the test it stopped (adding the entry
 * if Vitest did not report the test as started). Returns report notes for stops outside any test
 * and the message that fails the run (undefined when nothing was stopped).
 */
export function applyStops(records: StopRecord[], interrupted: Map<string, InterruptedLike>, relative: (path: string) => string): { notes: string[]; message: string | undefined } {
  const notes: string[] = []
  const lines: string[] = []
  const entryFor = (test: RunningNote): InterruptedLike => {
    const entry = interrupted.get(test.id) ?? { id: test.id, file: relative(test.file), name: test.name, project: test.project }
    interrupted.set(test.id, entry)
    return entry
  }
  // Deaths the worker brought on itself: the readings leading there, and nothing else to say.
  for (const d of records) {
    if (d.reason === 'died' && d.test) entryFor(d.test).died = { pid: d.pid, rss: d.rss, at: d.at, rssCurve: d.rssCurve }
  }
  const stops = records.filter((s) => s.reason === 'rss-limit')
  for (const s of stops) {
    const stopped: ReportStop = { reason: 'rss-limit', pid: s.pid, limit: s.limit, rss: s.rss, at: s.at, rssCurve: s.rssCurve }
    if (s.threads !== undefined) stopped.threads = s.threads
    const who = s.threadId ? `thread ${s.threadId} of process ${s.pid}` : `worker ${s.pid}`
    const at = `RSS ${formatBytes(s.rss)}, limit ${formatBytes(s.limit)}`
    if (s.test) {
      const entry = entryFor(s.test)
      entry.stopped = stopped
      lines.push(`  ${entry.file} > ${entry.name} (${who}, ${at})`)
    } else {
      notes.push(`The watchdog stopped ${who} (${at}) while it ran no test: it was loading a test file or running its hooks.`)
      lines.push(`  ${who}, outside any test (${at})`)
    }
  }
  if (stops.length === 0) return { notes, message: undefined }
  const shared = stops.some((s) => s.threadId) ? ' In thread pools the limit applies to the whole Vitest process, shared by every thread.' : ''
  notes.push(`The watchdog stopped ${stops.length} worker(s) whose RSS passed the hard limit.${shared}`)
  const message = `vitest-memory: the watchdog stopped ${stops.length === 1 ? 'a worker' : `${stops.length} workers`} whose RSS passed the hard limit (watchdog.rss), before the machine ran out of memory:\n${lines.join('\n')}\nThe run fails. Fix the test, or raise watchdog.rss if it really needs that much memory.`
  return { notes, message }
}
