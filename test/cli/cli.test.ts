// The `vitest-memory` bin as installed (the package's dist/cli.js, through its package.json
// "bin"), run on reports and baselines in a temporary folder.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { syntheticReport } from '../html/synthetic-report.mjs'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('vitest-memory/package.json'))
const pkg = require('vitest-memory/package.json') as { version: string; bin: Record<string, string> }
const bin = join(pkgDir, pkg.bin['vitest-memory']!)
let dir: string

interface Result { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', BROWSER: '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function writeReport(name: string, report: MemoryReport): string {
  writeFileSync(join(dir, name), JSON.stringify(report))
  return name
}

/** A small report; `grow` adds bytes to one test's retained and peak. */
function small(grow = 0): MemoryReport {
  const report = syntheticReport({ tests: 40, files: 4 })
  delete report.baseline
  for (const t of report.tests) delete t.baseline
  const t = report.tests.find((x) => x.name.includes('behaves 3 '))!
  t.retained += grow
  t.heapAfter += grow
  t.peakHeap += grow
  report.root = dir
  return report
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitest-memory-cli-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

test('the package declares the bin, and --help lists every command', async () => {
  expect(existsSync(bin)).toBe(true)
  const r = await cli(['--help'])
  expect(r.code).toBe(0)
  for (const command of ['html [report.json]', 'open [report.html | report.json]', 'summary [report.json]', 'compare <base> <head>', 'baseline update', 'baseline check']) {
    expect(r.stdout).toContain(`vitest-memory ${command}`)
  }
  expect((await cli(['--version'])).stdout.trim()).toBe(pkg.version)
  const none = await cli([])
  expect(none.code).toBe(2)
})

describe('compare', () => {
  test('a test that grew beyond the tolerance: listed with its numbers, exit code 1', async () => {
    const base = writeReport('base.json', small())
    const head = writeReport('head.json', small(3_000_000))
    const r = await cli(['compare', base, head])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain('vitest-memory compare base.json → head.json')
    expect(r.stdout).toMatch(/^1 regressed, 0 improved, 0 new, 0 gone · 44 tests and files compared \(tolerance: retained \+30% and \+1 MB, peak \+40% and \+2 MB\)$/m)
    expect(r.stdout).toMatch(/Regressed\n.*retained.*peak.*change.*test\n\s+[\d.-]+ k?B → 3\.\d+ MB\s+[\d.]+ [kM]?B → [\d.]+ MB\s+\+3 MB\s+src\/module-00\/feature-0\.test\.ts > feature 0 > behaves 3 when input 3 is given\n\s+retained 3\.\d+ MB after GC, baseline/)
    const quiet = await cli(['compare', base, head, '--no-fail'])
    expect(quiet.code).toBe(0)
  })

  test('within the tolerance: exit code 0; a tighter tolerance flags it', async () => {
    const base = writeReport('base2.json', small())
    const head = writeReport('head2.json', small(300_000))
    expect((await cli(['compare', base, head])).code).toBe(0)
    const strict = await cli(['compare', base, head, '--retained-absolute', '100kB', '--retained-relative', '5%'])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain('tolerance: retained +5% and +100 kB')
  })

  test('--json: the changes as data', async () => {
    const r = await cli(['compare', writeReport('b3.json', small()), writeReport('h3.json', small(5_000_000)), '--json'])
    expect(r.code).toBe(1)
    const data = JSON.parse(r.stdout) as { summary: { regressed: number }; changes: Array<{ status: string; label: string }> }
    expect(data.summary.regressed).toBe(1)
    expect(data.changes).toEqual([expect.objectContaining({ status: 'regressed', label: expect.stringContaining('behaves 3 when') })])
  })

  test('new and gone tests are listed; a baseline file works as either side', async () => {
    const base = small()
    const head = small()
    head.tests[0]!.name = 'a brand new test'
    writeReport('b4.json', base)
    writeReport('h4.json', head)
    expect((await cli(['baseline', 'update', 'b4.json', '--baseline', 'b4.baseline.json'])).code).toBe(0)
    const r = await cli(['compare', 'b4.baseline.json', 'h4.json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/New \(1\)\n\s+src\/module-00\/feature-0\.test\.ts > a brand new test: retained/)
    expect(r.stdout).toMatch(/Gone \(1\)\n\s+src\/module-00\/feature-0\.test\.ts > feature 0 > behaves 0 when input 0 is given/)
  })

  test('tests named like Object.prototype keys compare by their own entries', async () => {
    const base = small()
    const head = small()
    base.tests[0]!.name = 'toString'
    head.tests[0]!.name = 'constructor'
    writeReport('b5.json', base)
    writeReport('h5.json', head)
    const r = await cli(['compare', 'b5.json', 'h5.json', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const data = JSON.parse(r.stdout) as { summary: { new: number; gone: number }; changes: Array<{ status: string; label: string; retained: [number | null, number] }>; gone: Array<{ name: string }> }
    expect(data.summary).toMatchObject({ new: 1, gone: 1 })
    expect(data.changes).toEqual([expect.objectContaining({ status: 'new', label: expect.stringMatching(/ > constructor$/), retained: [null, head.tests[0]!.retained] })])
    expect(data.gone).toEqual([expect.objectContaining({ name: 'toString' })])
  })

  test('reads reports of schema version 1 (before diagnosis) and 2', async () => {
    const old = small() as unknown as { schemaVersion: number }
    old.schemaVersion = 1
    writeReport('v1.json', old as unknown as MemoryReport)
    writeReport('v2.json', small(5_000_000))
    const r = await cli(['compare', 'v1.json', 'v2.json'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('behaves 3 ')
    const future = small() as unknown as { schemaVersion: number }
    future.schemaVersion = 3
    writeReport('v3.json', future as unknown as MemoryReport)
    const refused = await cli(['compare', 'v3.json', 'v2.json'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('v3.json is neither a vitest-memory report nor a baseline file')
  })

  test('bad input: a clear message and exit code 2', async () => {
    const missing = await cli(['compare', 'nope.json', 'base.json'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^vitest-memory: the file .*nope\.json does not exist\.\n$/)
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}')
    const other = await cli(['compare', 'other.json', 'base.json'])
    expect(other.code).toBe(2)
    expect(other.stderr).toContain('other.json is neither a vitest-memory report nor a baseline file: schemaVersion must be 1, got undefined.')
    const one = await cli(['compare', 'base.json'])
    expect(one.code).toBe(2)
    expect(one.stderr).toContain('compare needs two files, the base and the head (reports or baselines), got 1.')
    const bad = await cli(['compare', 'base.json', 'base.json', '--retained-relative', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--retained-relative must be a fraction like 0.2 or a percentage like 20%, got "lots"')
    const unknown = await cli(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "frobnicate". Commands: html, open, summary, compare, baseline update, baseline check.')
  })
})

describe('html, open, summary', () => {
  test('html writes the report next to the JSON (or to -o), self-contained', async () => {
    writeReport('view.json', small())
    const r = await cli(['html', 'view.json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe('view.html')
    const html = readFileSync(join(dir, 'view.html'), 'utf8')
    expect(html).toContain('<script type="application/json" id="report-data">')
    expect(html).toContain('behaves 3 when input 3 is given')
    const out = await cli(['html', 'view.json', '-o', 'out/custom.html'])
    expect(out.stdout.trim()).toBe('out/custom.html')
    expect(existsSync(join(dir, 'out/custom.html'))).toBe(true)
  })

  test('html with no argument reads .vitest-memory/report.json, and says so when it is missing', async () => {
    const r = await cli(['html'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('.vitest-memory/report.json does not exist. Run Vitest with the vitest-memory plugin first, or pass the path of a report.')
  })

  test('open renders a JSON report and hands the file to $BROWSER', async () => {
    writeReport('open.json', small())
    const opener = join(dir, 'opener.sh')
    writeFileSync(opener, `#!/bin/sh\necho "$1" > "${join(dir, 'opened.txt')}"\n`)
    chmodSync(opener, 0o755)
    const r = await cli(['open', 'open.json'], { BROWSER: opener })
    expect(r.code, r.stderr).toBe(0)
    const url = `file://${join(dir, 'open.html')}`
    expect(r.stdout).toContain(`opening ${url}`)
    // The opener runs detached: wait for it.
    for (let i = 0; i < 50 && !existsSync(join(dir, 'opened.txt')); i++) await new Promise((res) => setTimeout(res, 100))
    expect(readFileSync(join(dir, 'opened.txt'), 'utf8').trim()).toBe(url)
  })

  test('summary prints the Markdown summary', async () => {
    writeReport('sum.json', small(3_000_000))
    const r = await cli(['summary', 'sum.json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^## ❌ vitest-memory: \d+ over budget/)
    expect(r.stdout).toContain('JSON report: `sum.json`')
  })
})

describe('baseline', () => {
  test('update writes it from a report; again with the same report changes nothing; check compares', async () => {
    writeReport('run1.json', small())
    const first = await cli(['baseline', 'update', 'run1.json'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout.trim()).toBe('updated: vitest-memory.baseline.json (40 added, 0 changed, 0 removed, 0 unchanged)')
    const text = readFileSync(join(dir, 'vitest-memory.baseline.json'), 'utf8')
    expect(JSON.parse(text).schemaVersion).toBe(1)
    const again = await cli(['baseline', 'update', 'run1.json'])
    expect(again.stdout.trim()).toBe('up to date: vitest-memory.baseline.json (0 added, 0 changed, 0 removed, 40 unchanged)')
    expect(readFileSync(join(dir, 'vitest-memory.baseline.json'), 'utf8')).toBe(text)

    expect((await cli(['baseline', 'check', 'run1.json'])).code).toBe(0)
    writeReport('run2.json', small(3_000_000))
    const check = await cli(['baseline', 'check', 'run2.json'])
    expect(check.code).toBe(1)
    expect(check.stdout).toContain('1 regressed')
    const accept = await cli(['baseline', 'update', 'run2.json'])
    expect(accept.stdout.trim()).toBe('updated: vitest-memory.baseline.json (0 added, 1 changed, 0 removed, 39 unchanged)')
    expect((await cli(['baseline', 'check', 'run2.json'])).code).toBe(0)
  })

  test('check without a baseline, and a bad subcommand: exit code 2 with the fix', async () => {
    writeReport('run3.json', small())
    const r = await cli(['baseline', 'check', 'run3.json', '--baseline', 'missing.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no baseline at missing.json yet')
    const bad = await cli(['baseline', 'write'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('baseline takes "update" or "check", got "write"')
  })
})
