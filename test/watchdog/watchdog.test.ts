// The watchdog on its own, against real processes and threads: what it stops, what it leaves
// alone, what it writes, and that it forgets dead workers. Memory stays modest: the growing
// process and thread stop themselves at a few hundred MB if the watchdog fails.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { applyStops, readStops, Watchdog, type StopRecord } from '../../src/node/watchdog.ts'
import type { ReportInterrupted } from '../../src/reporters/json.ts'
import { MemoryReporter } from '../../src/reporters/memory-reporter.ts'
import { resolveOptions } from '../../src/node/options.ts'

const MB = 1_000_000
let dir: string
const cleanup: Array<() => unknown> = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'watchdog-test-'))
})
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn()
  rmSync(dir, { recursive: true, force: true })
})

function watchdog(rss: number, hooks: ConstructorParameters<typeof Watchdog>[2] = {}): Watchdog {
  const w = new Watchdog(dir, { rss, interval: 20 }, hooks)
  cleanup.push(() => w.close())
  return w
}

/** Announce a worker the way src/worker/setup.ts does. */
function announce(id: string, pid: number, threadId = 0, pool = threadId ? 'threads' : 'forks'): void {
  writeFileSync(join(dir, `worker-${id}.pid`), JSON.stringify({ pid, threadId, pool }))
}
function noteTest(id: string, pid: number, name: string): void {
  writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id: `test-${name}`, file: '/root/a.test.ts', name, project: '', pid, startedAt: Date.now() }))
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/** A child process that keeps 10 MB more alive every 20 ms, and exits by itself at `max` bytes. */
function growingChild(max: number): ChildProcess {
  const child = spawn(process.execPath, ['-e', `
    const kept = []
    const t = setInterval(() => {
      kept.push(Buffer.alloc(10_000_000, 1))
      if (kept.length * 10_000_000 >= ${max}) { clearInterval(t); process.exit(3) }
    }, 20)
  `], { stdio: 'ignore' })
  cleanup.push(() => child.kill('SIGKILL'))
  return child
}

function idleChild(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
  cleanup.push(() => child.kill('SIGKILL'))
  return child
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 20))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

describe('process pools', () => {
  test('a child over the limit is killed, and the stop names its test with the RSS curve', async () => {
    const child = growingChild(600 * MB)
    announce(String(child.pid), child.pid!)
    noteTest(String(child.pid), child.pid!, 'grows')
    const logs: string[] = []
    const w = watchdog(200 * MB, { log: (m) => logs.push(m) })
    w.start()
    const { code, signal } = await exited(child)
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' })
    const stops = readStops(dir)
    expect(stops).toHaveLength(1)
    const stop = stops[0]!
    expect(stop).toMatchObject({ reason: 'rss-limit', id: String(child.pid), pid: child.pid, threadId: 0, pool: 'forks', limit: 200 * MB, test: { name: 'grows', id: 'test-grows' } })
    expect(stop.rss).toBeGreaterThan(200 * MB)
    expect(stop.rss).toBeLessThan(600 * MB)
    expect(stop.rssCurve.at(-1)![1]).toBe(stop.rss)
    expect(stop.rssCurve.length).toBeGreaterThanOrEqual(2)
    expect(stop.threads).toBeUndefined()
    expect(logs).toEqual([expect.stringMatching(new RegExp(`^vitest-memory watchdog: stopped worker ${child.pid}: RSS [\\d.]+ MB > limit 200 MB, running grows \\(/root/a.test.ts\\)$`))])
    // Once it is gone, nothing about it is kept: no readings, no pid file.
    await until(() => w.watched.length === 0, 'the dead child to be forgotten')
    expect(existsSync(join(dir, `worker-${child.pid}.pid`))).toBe(false)
    // Its note stays for the reporter (it names the test), and so does the stop.
    expect(existsSync(join(dir, `${child.pid}.json`))).toBe(true)
    w.stop()
  })

  test('children under the limit are sampled and left alone; a child that exits is forgotten', async () => {
    const a = idleChild()
    const b = idleChild()
    announce(String(a.pid), a.pid!)
    announce(String(b.pid), b.pid!)
    const w = watchdog(4000 * MB)
    await w.tick()
    expect(w.watched.sort()).toEqual([a.pid, b.pid].sort())
    a.kill('SIGTERM')
    await exited(a)
    await w.tick()
    expect(w.watched).toEqual([b.pid])
    expect(existsSync(join(dir, `worker-${a.pid}.pid`))).toBe(false)
    expect(existsSync(join(dir, `worker-${b.pid}.pid`))).toBe(true)
    expect(b.exitCode).toBeNull()
    expect(readStops(dir)).toEqual([])
  })

  test('a pid that is not our child (a reused pid) is never killed', async () => {
    // A grandchild: alive, but its parent is the child, not this process.
    const parent = spawn(process.execPath, ['-e', `
      const c = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
      console.log(c.pid)
      setTimeout(() => {}, 60_000)
    `], { stdio: ['ignore', 'pipe', 'ignore'] })
    cleanup.push(() => parent.kill('SIGKILL'))
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))))
    cleanup.push(() => {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    })
    announce(String(pid), pid)
    noteTest(String(pid), pid, 'not ours')
    const w = watchdog(1) // everything is over this limit
    await w.tick()
    expect(readStops(dir)).toEqual([])
    expect(() => process.kill(pid, 0)).not.toThrow()
    expect(w.watched).toEqual([])
  })

  test('a child that dies by itself mid-test leaves its last readings; one that ends between tests leaves nothing', async () => {
    const script = (code: number) => `const kept = []; let n = 0; const t = setInterval(() => { kept.push(Buffer.alloc(5_000_000, 1)); if (++n === 10) process.exit(${code}) }, 20)`
    const dying = spawn(process.execPath, ['-e', script(7)], { stdio: 'ignore' })
    const ending = spawn(process.execPath, ['-e', script(0)], { stdio: 'ignore' })
    cleanup.push(() => dying.kill('SIGKILL'), () => ending.kill('SIGKILL'))
    announce(String(dying.pid), dying.pid!)
    announce(String(ending.pid), ending.pid!)
    noteTest(String(dying.pid), dying.pid!, 'dies')
    const w = watchdog(4000 * MB)
    await w.tick() // at least one reading of each
    w.start()
    expect((await exited(dying)).code).toBe(7)
    await exited(ending)
    await until(() => w.watched.length === 0, 'both to be forgotten')
    const records = readStops(dir)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ reason: 'died', id: String(dying.pid), pid: dying.pid, test: { name: 'dies' } })
    expect(records[0]!.rssCurve.length).toBeGreaterThanOrEqual(1)
    expect(records[0]!.rss).toBe(records[0]!.rssCurve.at(-1)![1])
    // Not a stop: nothing fails the run because of it (Vitest does that itself).
    expect(applyStops(records, new Map(), (p) => p).message).toBeUndefined()
  })

  test('a death between the last round and the end of the run is still recorded (stop() looks once more)', async () => {
    const child = idleChild()
    announce(String(child.pid), child.pid!)
    noteTest(String(child.pid), child.pid!, 'dies last')
    const w = watchdog(4000 * MB)
    await w.tick()
    child.kill('SIGKILL')
    await exited(child)
    w.stop()
    expect(readStops(dir)).toEqual([expect.objectContaining({ reason: 'died', pid: child.pid, test: expect.objectContaining({ name: 'dies last' }) })])
  })

  test('an RSS of 0 (an exited process not yet reaped) is not taken as a reading', async () => {
    const child = idleChild()
    announce(String(child.pid), child.pid!)
    noteTest(String(child.pid), child.pid!, 'zombie')
    // What pidusage reads: a reading, then 0 while the process is a zombie, then nothing once it is gone.
    const rss = [100 * MB, 0]
    let gone = false
    const w = watchdog(4000 * MB, { usage: async (pids) => new Map(gone ? [] : pids.map((pid) => [pid, { rss: rss.shift() ?? 0, ppid: process.pid }])) })
    await w.tick()
    await w.tick()
    child.kill('SIGKILL')
    await exited(child)
    gone = true
    await w.tick()
    expect(readStops(dir)).toEqual([expect.objectContaining({ reason: 'died', rss: 100 * MB, rssCurve: [[expect.any(Number), 100 * MB]] })])
  })

  test('stop() ends sampling and clears every reading', async () => {
    const child = idleChild()
    announce(String(child.pid), child.pid!)
    const w = watchdog(4000 * MB)
    w.start()
    await until(() => w.watched.length === 1, 'a first reading')
    w.stop()
    expect(w.watched).toEqual([])
  })
})

describe('thread pools (threads of this process)', () => {
  /**
   * A thread that waits for `go`, then parks in Atomics.wait (synchronous: it never returns to its
   * event loop) and, if `growEveryMs`, keeps 10 MB more alive each time, exiting by itself at `max`.
   */
  const go = new Int32Array(new SharedArrayBuffer(4))
  function parkedThread(growEveryMs = 0, max = 0): Worker {
    const worker = new Worker(`
      const { workerData } = require('node:worker_threads')
      Atomics.wait(workerData.go, 0, 0)
      const pause = new Int32Array(new SharedArrayBuffer(4))
      const kept = []
      for (;;) {
        Atomics.wait(pause, 0, 0, ${growEveryMs || 50})
        if (${growEveryMs} > 0) {
          kept.push(Buffer.alloc(10_000_000, 1))
          if (kept.length * 10_000_000 >= ${max}) process.exit(3)
        }
      }
    `, { eval: true, workerData: { go } })
    cleanup.push(() => worker.terminate())
    return worker
  }
  const release = () => {
    Atomics.store(go, 0, 1)
    Atomics.notify(go, 0)
  }
  beforeEach(() => Atomics.store(go, 0, 0))
  const threadExit = (worker: Worker) => new Promise<number>((resolve) => worker.once('exit', resolve))
  const started = (worker: Worker) => new Promise<void>((resolve) => worker.once('online', () => resolve()))

  test('over the limit, the thread running a test is terminated, even in synchronous code; idle threads are not', async () => {
    const start = process.memoryUsage.rss()
    // Created before the threads, as the reporter does at init: it sees them start.
    const w = watchdog(start + 150 * MB)
    const growing = parkedThread(20, 400 * MB)
    const idle = parkedThread()
    await Promise.all([started(growing), started(idle)])
    const growingId = growing.threadId // -1 once it has exited
    const gid = `${process.pid}-${growingId}`
    announce(gid, process.pid, growing.threadId)
    announce(`${process.pid}-${idle.threadId}`, process.pid, idle.threadId)
    noteTest(gid, process.pid, 'grows in a thread')
    let idleExited = false
    void threadExit(idle).then(() => (idleExited = true))
    w.start()
    release()
    expect(await threadExit(growing)).toBe(1) // terminate(), not its own exit(3)
    const stops = readStops(dir)
    expect(stops).toHaveLength(1)
    expect(stops[0]).toMatchObject({ id: gid, pid: process.pid, threadId: growingId, pool: 'threads', threads: 1, test: { name: 'grows in a thread' } })
    expect(stops[0]!.rss).toBeGreaterThan(start + 150 * MB)
    await w.tick()
    expect(idleExited).toBe(false)
  })

  test('after stopping threads it waits for the RSS to come back under the limit before stopping more', async () => {
    let rss = 500 * MB
    const w = watchdog(400 * MB, { ownRss: () => rss })
    const first = parkedThread()
    const second = parkedThread()
    await Promise.all([started(first), started(second)])
    const id1 = `${process.pid}-${first.threadId}`
    const id2 = `${process.pid}-${second.threadId}`
    announce(id1, process.pid, first.threadId)
    noteTest(id1, process.pid, 'first')
    await w.tick()
    expect(await threadExit(first)).toBe(1)
    // The memory was not given back (or is not the tests'): a second thread starting a test is left alone.
    announce(id2, process.pid, second.threadId)
    noteTest(id2, process.pid, 'second')
    await w.tick()
    await w.tick()
    expect(readStops(dir).map((s) => s.test?.name)).toEqual(['first'])
    // Back under the limit, then over again: armed again.
    rss = 300 * MB
    await w.tick()
    rss = 450 * MB
    await w.tick()
    expect(await threadExit(second)).toBe(1)
    expect(readStops(dir).map((s) => s.test?.name).sort()).toEqual(['first', 'second'])
    // Exited threads are forgotten, pid files included.
    await w.tick()
    expect(w.watched).toEqual([])
    expect(existsSync(join(dir, `worker-${id1}.pid`))).toBe(false)
  })

  test('a thread that ends by itself mid-test leaves the readings that led there', async () => {
    const w = watchdog(4000 * MB, { ownRss: () => 123 * MB })
    const thread = new Worker(`
      const { workerData } = require('node:worker_threads')
      Atomics.wait(workerData.go, 0, 0)
      throw new Error('crashed')
    `, { eval: true, workerData: { go } })
    thread.on('error', () => {})
    await started(thread)
    const id = `${process.pid}-${thread.threadId}`
    announce(id, process.pid, thread.threadId)
    noteTest(id, process.pid, 'crashes')
    w.start()
    await w.tick()
    release()
    expect(await threadExit(thread)).toBe(1)
    expect(readStops(dir)).toEqual([expect.objectContaining({ reason: 'died', id, rss: 123 * MB, test: expect.objectContaining({ name: 'crashes' }) })])
  })

  test('several threads running tests are stopped together, and each stop says so', async () => {
    const w = watchdog(400 * MB, { ownRss: () => 500 * MB })
    const threads = [parkedThread(), parkedThread()]
    await Promise.all(threads.map(started))
    for (const [i, t] of threads.entries()) {
      const id = `${process.pid}-${t.threadId}`
      announce(id, process.pid, t.threadId)
      noteTest(id, process.pid, `test ${i}`)
    }
    await w.tick()
    expect(await Promise.all(threads.map(threadExit))).toEqual([1, 1])
    const stops = readStops(dir)
    expect(stops.map((s) => s.threads)).toEqual([2, 2])
    expect(stops.map((s) => s.test?.name).sort()).toEqual(['test 0', 'test 1'])
  })
})

describe('reporter side', () => {
  const stop = (over: Partial<StopRecord> = {}): StopRecord => ({
    reason: 'rss-limit', id: '42', pid: 42, threadId: 0, pool: 'forks', limit: 300 * MB, rss: 312 * MB, at: 1000,
    rssCurve: [[900, 100 * MB], [1000, 312 * MB]],
    test: { id: 't1', file: '/root/grow.test.ts', name: 'grows', project: '', pid: 42, startedAt: 800 },
    ...over,
  })
  const relative = (p: string) => p.replace('/root/', '')

  test('a stop lands on the interrupted entry of its test, or adds one', () => {
    const interrupted = new Map<string, ReportInterrupted>([['t1', { id: 't1', file: 'grow.test.ts', name: 'grows', project: '' }]])
    const { notes, message } = applyStops([stop(), stop({ id: '43', pid: 43, test: { id: 't2', file: '/root/b.test.ts', name: 'b', project: 'p', pid: 43, startedAt: 1 } })], interrupted, relative)
    expect(interrupted.get('t1')!.stopped).toEqual({ reason: 'rss-limit', pid: 42, limit: 300 * MB, rss: 312 * MB, at: 1000, rssCurve: [[900, 100 * MB], [1000, 312 * MB]] })
    expect(interrupted.get('t2')).toMatchObject({ file: 'b.test.ts', name: 'b', project: 'p', stopped: { pid: 43 } })
    expect(notes).toEqual(['The watchdog stopped 2 worker(s) whose RSS passed the hard limit.'])
    expect(message).toContain('the watchdog stopped 2 workers whose RSS passed the hard limit (watchdog.rss)')
    expect(message).toContain('  grow.test.ts > grows (worker 42, RSS 312 MB, limit 300 MB)')
    expect(message).toContain('raise watchdog.rss')
  })

  test('a stop outside any test becomes a note; a thread stop says the RSS is shared', () => {
    const interrupted = new Map<string, ReportInterrupted>()
    const { notes, message } = applyStops([stop({ test: undefined, threadId: 3, threads: 2 })], interrupted, relative)
    expect(interrupted.size).toBe(0)
    expect(notes[0]).toBe('The watchdog stopped thread 3 of process 42 (RSS 312 MB, limit 300 MB) while it ran no test: it was loading a test file or running its hooks.')
    expect(notes[1]).toContain('In thread pools the limit applies to the whole Vitest process')
    expect(message).toContain('thread 3 of process 42, outside any test')
  })

  test('a death lands on its test as `died`, with no message', () => {
    const interrupted = new Map<string, ReportInterrupted>()
    const { notes, message } = applyStops([stop({ reason: 'died' })], interrupted, relative)
    expect(interrupted.get('t1')).toEqual({ id: 't1', file: 'grow.test.ts', name: 'grows', project: '', died: { pid: 42, rss: 312 * MB, at: 1000, rssCurve: [[900, 100 * MB], [1000, 312 * MB]] } })
    expect({ notes, message }).toEqual({ notes: [], message: undefined })
  })

  test('nothing stopped: no note, no message', () => {
    expect(applyStops([], new Map(), relative)).toEqual({ notes: [], message: undefined })
  })

  test('the reporter watches only when enabled, and lets go of the process when Vitest closes', () => {
    const fakeVitest = () => {
      const closers: Array<() => void> = []
      return { closers, vitest: { logger: { error() {}, log() {} }, onClose: (fn: () => void) => closers.push(fn), config: { root: '/' } } }
    }
    const before = process.listenerCount('worker')
    const off = fakeVitest()
    new MemoryReporter(resolveOptions({ watchdog: false }, {})).onInit(off.vitest as never)
    expect(process.listenerCount('worker')).toBe(before)
    expect(off.closers).toHaveLength(0)

    const on = fakeVitest()
    new MemoryReporter(resolveOptions({}, {})).onInit(on.vitest as never)
    expect(process.listenerCount('worker')).toBe(before + 1)
    for (const close of on.closers) close()
    expect(process.listenerCount('worker')).toBe(before)
  })
})

test('readStops: nothing when the folder is gone, and skips what it cannot read', () => {
  expect(readStops(join(dir, 'missing'))).toEqual([])
  writeFileSync(join(dir, 'stopped-1.json'), '{"cut sh')
  writeFileSync(join(dir, 'stopped-2.json'), JSON.stringify({ id: '2', at: 5 }))
  writeFileSync(join(dir, '2.json'), JSON.stringify({ id: 'note' }))
  expect(readStops(dir)).toEqual([{ id: '2', at: 5 }])
  expect(readFileSync(join(dir, '2.json'), 'utf8')).toContain('note')
})
