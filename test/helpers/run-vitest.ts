// Run Vitest the way users do (its CLI, in a child process) on a copy of a fixture project,
// and read back the exit code, the output and the JSON report.
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MemoryReport } from 'vitest-memory'

export const testDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const repoDir = resolve(testDir, '..')
const require = createRequire(import.meta.url)
export const vitestCli = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
/** The Vitest major this suite runs against (4 or 5). */
export const vitestMajor = Number((require('vitest/package.json') as { version: string }).version.split('.')[0])

let counter = 0

/** Copy `test/fixtures/<name>` (or any directory) to a fresh folder under test/.tmp and return its path. */
export function copyFixture(name: string): string {
  const source = existsSync(name) ? name : join(testDir, 'fixtures', name)
  const target = join(testDir, '.tmp', `${name.replace(/[^\w-]+/g, '_').slice(-40)}-${process.pid}-${++counter}`)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(dirname(target), { recursive: true })
  cpSync(source, target, { recursive: true, filter: (src) => !src.includes('.vitest-memory') && !src.includes('node_modules') })
  return target
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr together. */
  output: string
  report: MemoryReport | undefined
  dir: string
}

export interface RunOptions {
  env?: Record<string, string>
  /** Report path relative to the project, when the fixture changes it. */
  reportFile?: string
  timeoutMs?: number
}

/** Run `vitest <args>` in `dir` (default args: `run`). */
export function runVitest(dir: string, args: string[] = ['run'], options: RunOptions = {}): Promise<RunResult> {
  const reportPath = join(dir, options.reportFile ?? '.vitest-memory/report.json')
  rmSync(reportPath, { force: true })
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [vitestCli, ...args], {
      cwd: dir,
      // Diagnosis (a heap snapshot per flagged test: seconds each on this shared machine) is off
      // unless a test asks for it with VITEST_MEMORY_DIAGNOSE: the tests that check it do.
      env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', VITEST_MEMORY_MODE: '', VITEST_MEMORY_DIAGNOSE: 'off', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let output = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d; output += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d; output += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 150_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const report = existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, 'utf8')) as MemoryReport) : undefined
      resolvePromise({ code, stdout, stderr, output, report, dir })
    })
  })
}

/** Copy the fixture, run it, and remove the copy. */
export async function runFixture(name: string, args: string[] = ['run'], options: RunOptions = {}): Promise<RunResult> {
  const dir = copyFixture(name)
  const result = await runVitest(dir, args, options)
  rmSync(dir, { recursive: true, force: true })
  return result
}

/** The report entry of the test whose full name ends with `name`. */
export function findTest(report: MemoryReport | undefined, name: string) {
  const test = report?.tests.find((t) => t.name === name || t.name.endsWith(` > ${name}`))
  if (!test) throw new Error(`no test named ${JSON.stringify(name)} in the report; have: ${report?.tests.map((t) => t.name).join(', ')}`)
  return test
}
