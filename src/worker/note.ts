// Who this worker is, and the running note that names the test it runs: if the worker dies, the
// main process finds the note left behind (src/node/watchdog.ts), and the readings of the tests
// that finished before, which Vitest may not have delivered yet (see `finished`).
import { closeSync, openSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { FINISHED_SUFFIX, type FinishedReading, type WorkerInfo } from '../types.ts'

const localRequire = createRequire(import.meta.url)
const NOTE_KEY = Symbol.for('vitest-memory.note')

/** Size of a running note: JSON padded with spaces, so a note is rewritten in place, never truncated. */
const NOTE_BYTES = 4096
const NO_TEST = Buffer.from('-')

export interface RunningNote {
  write(note: { name: string } & Record<string, unknown>): void
  clear(): void
  /**
   * Append a finished test's reading, one JSON line. Vitest sends task updates (and the readings
   * in their meta) at most every 100 ms: a worker that dies right after a test finished takes
   * that test's reading with it. The main process reads these lines only for tests whose reading
   * never arrived (src/reporters/memory-reporter.ts). One synchronous write, like the note.
   */
  finished(entry: FinishedReading): void
}

/**
 * The note naming the test a worker is running, for the main process to find if the worker dies.
 * Synchronous writes on purpose: a worker killed mid-test runs no more code. One open file per
 * worker, rewritten in place (one write, ~3 us); between tests its first byte is `-`, which no
 * reader parses, so it means "no test running".
 */
export function runningNote(path: string): RunningNote {
  const g = globalThis as { [NOTE_KEY]?: { path: string; fd: number; buffer: Buffer; finishedFd: number } }
  if (g[NOTE_KEY]?.path !== path) {
    if (g[NOTE_KEY]) {
      closeSync(g[NOTE_KEY].fd)
      closeSync(g[NOTE_KEY].finishedFd)
    }
    g[NOTE_KEY] = { path, fd: openSync(path, 'w'), buffer: Buffer.alloc(NOTE_BYTES), finishedFd: openSync(path.replace(/\.json$/, FINISHED_SUFFIX), 'a') }
  }
  const { fd, buffer, finishedFd } = g[NOTE_KEY]
  return {
    finished(entry) {
      writeSync(finishedFd, `${JSON.stringify(entry)}\n`)
    },
    write(note) {
      let text = JSON.stringify(note)
      if (Buffer.byteLength(text) > NOTE_BYTES) text = JSON.stringify({ ...note, name: note.name.slice(0, 1000) })
      buffer.fill(0x20)
      buffer.write(text, 0)
      writeSync(fd, buffer, 0, NOTE_BYTES, 0)
    },
    clear() {
      writeSync(fd, NO_TEST, 0, 1, 0)
    },
  }
}

/**
 * The thread this code runs on. Process pools run it on the main thread of a child process, which
 * has never loaded node:worker_threads (~2 ms and 36 internal modules in every fresh worker).
 */
function threadIdIn(pool: string): number {
  if (pool === 'forks' || pool === 'vmForks') return 0
  return (localRequire('node:worker_threads') as typeof import('node:worker_threads')).threadId
}

export function workerInfo(pool: string): WorkerInfo {
  const pid = process.pid
  const threadId = threadIdIn(pool)
  return {
    id: threadId === 0 ? String(pid) : `${pid}/${threadId}`,
    slot: process.env.VITEST_POOL_ID ?? '1',
    pid,
    threadId,
    pool,
  }
}
