// writeOutput: a failed write fails the run, is named for the summary line, and leaves no stale
// file passing for this run's. The disk is replaced here for the case root cannot produce: a
// folder nobody may write to, where the old file can be removed no more than replaced.
import { afterEach, expect, test } from 'vitest'
import { writeOutput, type OutputIo, type RunContext } from '../../src/node/run-outputs.ts'

const errno = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { code })

function context(): RunContext & { errors: string[] } {
  const errors: string[] = []
  return { root: '/project', shard: false, unmeasured: new Set(), log: () => {}, error: (m) => errors.push(m), failedWrites: [], errors }
}

afterEach(() => {
  process.exitCode = undefined
})

test('written: the path, nothing noted', () => {
  const ctx = context()
  const files = new Map<string, string>()
  const io: OutputIo = { write: (p, t) => void files.set(p, t), remove: () => false }
  expect(writeOutput('report', '/project/.vitest-memory/report.json', () => '{}', ctx, io)).toBe('/project/.vitest-memory/report.json')
  expect(files.get('/project/.vitest-memory/report.json')).toBe('{}')
  expect(ctx.failedWrites).toEqual([])
  expect(process.exitCode).toBeUndefined()
})

test('a folder nobody may write to: the old report stays, and the message says it is stale', () => {
  const ctx = context()
  const io: OutputIo = {
    write: () => { throw errno('EACCES', 'permission denied') },
    remove: () => { throw errno('EACCES', 'permission denied, unlink') },
  }
  expect(writeOutput('report', '/project/.vitest-memory/report.json', () => '{}', ctx, io)).toBeUndefined()
  expect(ctx.errors).toEqual([
    "vitest-memory: could not write the report to /project/.vitest-memory/report.json: EACCES: permission denied. The report there is from an earlier run and stale: it could not be removed either (EACCES: permission denied, unlink). The run fails because of it.",
  ])
  expect(ctx.failedWrites).toEqual(['the report .vitest-memory/report.json (EACCES)'])
  expect(process.exitCode).toBe(1)
})

test('a full disk: the old HTML report is removed', () => {
  const ctx = context()
  const removed: string[] = []
  const io: OutputIo = { write: () => { throw errno('ENOSPC', 'no space left on device') }, remove: (p) => removed.push(p) > 0 }
  writeOutput('HTML report', '/project/out/report.html', () => '<html>', ctx, io)
  expect(removed).toEqual(['/project/out/report.html'])
  expect(ctx.errors[0]).toContain("The previous run's HTML report there was removed, so it is not taken for this run's.")
  expect(ctx.failedWrites).toEqual(['the HTML report out/report.html (ENOSPC)'])
})
