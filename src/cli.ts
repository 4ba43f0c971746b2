#!/usr/bin/env node
// The `vitest-memory` command: view reports, compare runs, and maintain the baseline outside a
// Vitest run (for example from the merged report of a sharded CI run).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import c from 'picocolors'
import {
  annotateReport, baselineFromReport, checkBaseline, compareBaselines, fileEntry, key, readBaseline, serializeBaseline, testEntry, updateBaseline, type Baseline, type Comparison,
} from './node/baseline.ts'
import { READABLE_SCHEMA_VERSIONS } from './constants.ts'
import { DEFAULT_BASELINE_FILE, DEFAULT_TOLERANCE } from './node/report-options.ts'
import { renderHtml } from './reporters/html.ts'
import { writeFileAtomic, type BaselineTolerance, type MemoryReport } from './reporters/json.ts'
import { renderMarkdown } from './reporters/markdown.ts'
import { formatBytes, formatDelta, parseSize } from './shared/size.ts'

const require = createRequire(import.meta.url)
const VERSION = (require('../package.json') as { version: string }).version
const DEFAULT_REPORT = '.vitest-memory/report.json'

const HELP = `vitest-memory ${VERSION}: reports, comparisons and baselines of vitest-memory

Usage:
  vitest-memory html [report.json] [-o report.html] [--open]
      Write the self-contained HTML report of a JSON report (default ${DEFAULT_REPORT},
      output next to it). --open opens it in the browser.
  vitest-memory open [report.html | report.json]
      Open the HTML report in the browser (from a .json: write the .html next to it first).
      Uses $BROWSER when set, else the system's opener.
  vitest-memory summary [report.json] [-o summary.md]
      Print (or write) the Markdown summary of a report.
  vitest-memory compare <base> <head> [--all] [--json] [--no-fail] [tolerance options]
      Compare two runs: each side is a JSON report or a baseline file. Prints what grew and
      what shrank beyond the tolerance, new and gone tests. Exit code 1 when something
      regressed (unless --no-fail), 0 otherwise.
  vitest-memory baseline update [report.json] [--baseline file] [--all] [tolerance options]
      Write the baseline from a report, e.g. the report of a --merge-reports run. Tests within
      the tolerance keep their values (--all rewrites every value); tests of files that no longer
      exist are removed.
  vitest-memory baseline check [report.json] [--baseline file] [tolerance options]
      Compare a report with the baseline; exit code 1 when something regressed.

Tolerance options (a change counts when it exceeds both; defaults as in the plugin):
  --retained-relative 30%   --retained-absolute 1MB   --peak-relative 40%   --peak-absolute 2MB

Exit codes: 0 fine, 1 regressions, 2 a usage or input error (the message says which).`

/** A problem with the command line or its inputs: printed without a stack, exit code 2. */
class UsageError extends Error {}

interface Io {
  out: (text: string) => void
  err: (text: string) => void
  env: Record<string, string | undefined>
  cwd: string
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist.${path.endsWith(DEFAULT_REPORT) ? ' Run Vitest with the vitest-memory plugin first, or pass the path of a report.' : ''}`)
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(error as Error).message}`)
  }
}

function isReport(data: unknown): data is MemoryReport {
  const r = data as MemoryReport
  return typeof r === 'object' && r !== null && READABLE_SCHEMA_VERSIONS.includes(r.schemaVersion) && Array.isArray(r.tests) && Array.isArray(r.files) && typeof r.summary === 'object'
}

function readReport(path: string): MemoryReport {
  const data = readJson(path, 'the report')
  if (!isReport(data)) {
    const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
    const versions = READABLE_SCHEMA_VERSIONS.join(' or ')
    throw new UsageError(`${path} is not a vitest-memory report${version !== undefined && !READABLE_SCHEMA_VERSIONS.includes(version as number) ? ` of schema version ${versions} (it says ${JSON.stringify(version)}; this is vitest-memory ${VERSION})` : ` (no schemaVersion ${versions}, tests, files and summary)`}.`)
  }
  return data
}

/** A run as a baseline: a report is turned into one, a baseline file is read as is. */
function readSide(path: string): { baseline: Baseline; report?: MemoryReport } {
  const data = readJson(path, 'the file')
  if (isReport(data)) return { baseline: baselineFromReport(data), report: data }
  const problem = checkBaseline(data)
  if (problem) throw new UsageError(`${path} is neither a vitest-memory report nor a baseline file: ${problem}.`)
  return { baseline: data as Baseline }
}

function tolerance(values: Record<string, string | boolean | undefined>): BaselineTolerance {
  const t: BaselineTolerance = { retained: { ...DEFAULT_TOLERANCE.retained }, peak: { ...DEFAULT_TOLERANCE.peak } }
  for (const metric of ['retained', 'peak'] as const) {
    const rel = values[`${metric}-relative`]
    if (typeof rel === 'string') {
      const n = rel.trim().endsWith('%') ? Number.parseFloat(rel) / 100 : Number(rel)
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${metric}-relative must be a fraction like 0.2 or a percentage like 20%, got ${JSON.stringify(rel)}`)
      t[metric].relative = n
    }
    const abs = values[`${metric}-absolute`]
    if (typeof abs === 'string') {
      try {
        t[metric].absolute = parseSize(abs, `--${metric}-absolute`)
      } catch (error) {
        throw new UsageError((error as Error).message)
      }
    }
  }
  return t
}

const TOLERANCE_OPTIONS = {
  'retained-relative': { type: 'string' },
  'retained-absolute': { type: 'string' },
  'peak-relative': { type: 'string' },
  'peak-absolute': { type: 'string' },
} as const

function toleranceText(t: BaselineTolerance): string {
  const one = (m: { relative: number; absolute: number }) => `+${Math.round(m.relative * 100)}% and +${formatBytes(m.absolute)}`
  return `retained ${one(t.retained)}, peak ${one(t.peak)}`
}

function pad(text: string, width: number, right = false): string {
  return text.length >= width ? text : right ? ' '.repeat(width - text.length) + text : text + ' '.repeat(width - text.length)
}

function label(project: string, file: string, name?: string): string {
  return `${project ? `[${project}] ` : ''}${file}${name === undefined ? ' (whole file)' : ` > ${name}`}`
}

interface Row {
  label: string
  status: string
  retained: [number | undefined, number]
  peak: [number | undefined, number]
  change: number
  messages: string[]
}

function rowsOf(base: Baseline, head: Baseline, comparison: Comparison): Row[] {
  const rows: Row[] = []
  for (const [project, files] of Object.entries(head.tests)) {
    for (const [file, tests] of Object.entries(files)) {
      for (const [name, entry] of Object.entries(tests)) {
        const d = comparison.tests.get(key(project, file, name))
        const old = testEntry(base, project, file, name)
        rows.push({ label: label(project, file, name), status: d?.status ?? 'new', retained: [old?.retained, entry.retained], peak: [old?.peak, entry.peak], change: entry.retained - (old?.retained ?? 0), messages: d?.messages ?? [] })
      }
    }
  }
  for (const [project, files] of Object.entries(head.files)) {
    for (const [file, entry] of Object.entries(files)) {
      const d = comparison.files.get(key(project, file))
      const old = fileEntry(base, project, file)
      if (!d || !old) continue
      rows.push({ label: label(project, file), status: d.status, retained: [old.retained, entry.retained], peak: [old.peak, entry.peak], change: entry.retained - old.retained, messages: d.messages ?? [] })
    }
  }
  return rows
}

function compareText(rows: Row[], comparison: Comparison, t: BaselineTolerance, all: boolean): string {
  const out: string[] = []
  const s = comparison.summary
  out.push(`${s.regressed ? c.red(`${s.regressed} regressed`) : '0 regressed'}, ${s.improved ? c.green(`${s.improved} improved`) : '0 improved'}, ${s.new} new, ${s.gone} gone · ${s.compared} tests and files compared (tolerance: ${toleranceText(t)})`)
  const section = (title: string, list: Row[]) => {
    if (!list.length) return
    out.push('', c.bold(title), `  ${c.dim(`${pad('retained', 22, true)}  ${pad('peak', 22, true)}  ${pad('change', 10, true)}  test`)}`)
    for (const r of list) {
      const pair = (p: [number | undefined, number]) => pad(p[0] === undefined ? formatBytes(p[1]) : `${formatBytes(p[0])} → ${formatBytes(p[1])}`, 22, true)
      out.push(`  ${pair(r.retained)}  ${pair(r.peak)}  ${pad(formatDelta(r.change), 10, true)}  ${r.label}`)
      for (const m of r.messages) out.push(`  ${c.dim(`    ${m}`)}`)
    }
  }
  const byChange = (a: Row, b: Row) => b.change - a.change
  section('Regressed', rows.filter((r) => r.status === 'regressed').sort(byChange))
  section('Improved', rows.filter((r) => r.status === 'improved').sort((a, b) => a.change - b.change))
  if (all) section('Within tolerance (grew first)', rows.filter((r) => r.status === 'same' && r.change !== 0).sort(byChange))
  const fresh = rows.filter((r) => r.status === 'new')
  if (fresh.length) {
    out.push('', c.bold(`New (${fresh.length})`))
    for (const r of fresh.slice(0, all ? Infinity : 20)) out.push(`  ${r.label}: retained ${formatBytes(r.retained[1])}, peak ${formatBytes(r.peak[1])}`)
    if (!all && fresh.length > 20) out.push(c.dim(`  … ${fresh.length - 20} more (--all lists them)`))
  }
  if (comparison.gone.length) {
    out.push('', c.bold(`Gone (${comparison.gone.length})`))
    for (const g of comparison.gone.slice(0, all ? Infinity : 20)) out.push(`  ${label(g.project, g.file, g.name)}`)
    if (!all && comparison.gone.length > 20) out.push(c.dim(`  … ${comparison.gone.length - 20} more (--all lists them)`))
  }
  return `${out.join('\n')}\n`
}

function openInBrowser(file: string, io: Io): void {
  const url = pathToFileURL(file).href
  const browser = io.env.BROWSER
  const [cmd, args] = browser
    ? [browser, [url]]
    : process.platform === 'darwin' ? ['open', [url]]
      : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]]
  io.out(`opening ${url}\n`)
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true, shell: Boolean(browser) && process.platform === 'win32' })
  child.on('error', () => io.err(`could not start ${cmd}: open ${url} in a browser yourself (or set $BROWSER).\n`))
  child.unref()
}

function htmlPathFor(json: string): string {
  return json.endsWith('.json') ? `${json.slice(0, -5)}.html` : `${json}.html`
}

async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(`${HELP}\n`)
    return command ? 0 : 2
  }
  if (command === '--version' || command === '-v') {
    io.out(`${VERSION}\n`)
    return 0
  }
  const at = (p: string) => resolve(io.cwd, p)
  const shown = (p: string) => {
    const r = relative(io.cwd, p)
    return r.startsWith('..') ? p : r
  }

  if (command === 'html' || command === 'open') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { output: { type: 'string', short: 'o' }, open: { type: 'boolean' } } })
    if (positionals.length > 1) throw new UsageError(`${command} takes one report, got ${positionals.length}: ${positionals.join(' ')}`)
    const input = at(positionals[0] ?? DEFAULT_REPORT)
    if (command === 'open' && input.endsWith('.html')) {
      if (!existsSync(input)) throw new UsageError(`the HTML report ${input} does not exist.`)
      openInBrowser(input, io)
      return 0
    }
    const report = readReport(input)
    const output = values.output ? at(values.output) : htmlPathFor(input)
    writeFileAtomic(output, renderHtml(report))
    io.out(`${shown(output)}\n`)
    if (command === 'open' || values.open) openInBrowser(output, io)
    return 0
  }

  if (command === 'summary') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } })
    const input = at(positionals[0] ?? DEFAULT_REPORT)
    const markdown = renderMarkdown(readReport(input), { reportPath: shown(input) })
    if (values.output) {
      writeFileAtomic(at(values.output), markdown)
      io.out(`${shown(at(values.output))}\n`)
    } else {
      io.out(markdown)
    }
    return 0
  }

  if (command === 'compare') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { all: { type: 'boolean' }, json: { type: 'boolean' }, 'no-fail': { type: 'boolean' }, ...TOLERANCE_OPTIONS } })
    if (positionals.length !== 2) throw new UsageError(`compare needs two files, the base and the head (reports or baselines), got ${positionals.length}. Example: vitest-memory compare main/report.json .vitest-memory/report.json`)
    const t = tolerance(values)
    const base = readSide(at(positionals[0]!))
    const head = readSide(at(positionals[1]!))
    const comparison = compareBaselines(base.baseline, head.baseline, t)
    const rows = rowsOf(base.baseline, head.baseline, comparison)
    if (values.json) {
      io.out(`${JSON.stringify({ tolerance: t, summary: comparison.summary, changes: rows.filter((r) => r.status !== 'same'), gone: comparison.gone }, null, 2)}\n`)
    } else {
      io.out(`${c.bold('vitest-memory compare')} ${shown(at(positionals[0]!))} → ${shown(at(positionals[1]!))}\n`)
      io.out(compareText(rows, comparison, t, Boolean(values.all)))
    }
    return comparison.summary.regressed > 0 && !values['no-fail'] ? 1 : 0
  }

  if (command === 'baseline') {
    const [sub, ...args] = rest
    if (sub !== 'update' && sub !== 'check') throw new UsageError(`baseline takes "update" or "check", got ${JSON.stringify(sub ?? '')}. See vitest-memory --help.`)
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { baseline: { type: 'string' }, all: { type: 'boolean' }, root: { type: 'string' }, ...TOLERANCE_OPTIONS } })
    const input = at(positionals[0] ?? DEFAULT_REPORT)
    const report = readReport(input)
    const t = tolerance(values)
    // The Vitest root the report's paths are relative to: the report's own, when it exists here.
    const root = values.root ? at(values.root) : existsSync(report.root) ? report.root : io.cwd
    const baselinePath = values.baseline ? at(values.baseline) : resolve(root, DEFAULT_BASELINE_FILE)
    const read = readBaseline(baselinePath, shown(baselinePath))
    const head = baselineFromReport(report)
    const isGone = (_project: string, file: string) => !existsSync(resolve(root, file))
    if (sub === 'check') {
      if (read.status !== 'ok') throw new UsageError(read.message)
      const comparison = compareBaselines(read.baseline, head, t, { isGone })
      io.out(`${c.bold('vitest-memory baseline check')} ${shown(input)} against ${shown(baselinePath)}\n`)
      io.out(compareText(rowsOf(read.baseline, head, comparison), comparison, t, false))
      return comparison.summary.regressed > 0 ? 1 : 0
    }
    if (read.status === 'corrupt') io.err(`${read.message}\nWriting it again from ${shown(input)}.\n`)
    const old = read.status === 'ok' ? read.baseline : undefined
    const comparison = old ? compareBaselines(old, head, t, { isGone }) : undefined
    if (comparison) annotateReport(report, comparison)
    const updated = updateBaseline(old, head, comparison, { update: values.all ? 'all' : 'changed', isGone })
    const text = serializeBaseline(updated.baseline)
    const before = existsSync(baselinePath) ? readFileSync(baselinePath, 'utf8') : undefined
    if (text !== before) writeFileAtomic(baselinePath, text)
    io.out(`${text === before ? 'up to date' : 'updated'}: ${shown(baselinePath)} (${updated.added} added, ${updated.changed} changed, ${updated.removed} removed, ${updated.kept} unchanged)\n`)
    return 0
  }

  throw new UsageError(`unknown command ${JSON.stringify(command)}. Commands: html, open, summary, compare, baseline update, baseline check. See vitest-memory --help.`)
}

/** Run the CLI; resolves to the exit code. Exported for tests. */
export async function run(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const full: Io = {
    out: io.out ?? ((t) => process.stdout.write(t)),
    err: io.err ?? ((t) => process.stderr.write(t)),
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  }
  try {
    return await main(argv, full)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      full.err(`vitest-memory: ${(error as Error).message}\n`)
      return 2
    }
    throw error
  }
}

// Run when executed as the bin (through node_modules/.bin's symlink too), not when imported by tests.
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}
if (isMain()) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
