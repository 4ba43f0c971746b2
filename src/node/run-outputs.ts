// What the reporter does with a finished report besides the JSON and the terminal summary:
// compare it with (or write) the committed baseline, write the HTML report and the Markdown
// summary, and talk to GitHub Actions. Main process only.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import c from 'picocolors'
import { appendStepSummary, githubAnnotations } from '../reporters/ci.ts'
import { renderHtml } from '../reporters/html.ts'
import { writeFileAtomic, type MemoryReport, type ReportBaseline } from '../reporters/json.ts'
import { renderMarkdown } from '../reporters/markdown.ts'
import { formatBytes } from '../shared/size.ts'
import {
  annotateReport, baselineFromReport, baselineNamer, compareBaselines, compareEntry, readBaseline, serializeBaseline, testEntry, updateBaseline, UPDATE_COMMAND, type Comparison,
} from './baseline.ts'
import type { TestMemory } from '../types.ts'
import type { ResolvedReportOptions } from './report-options.ts'

export interface RunContext {
  /** The Vitest root: report paths, the baseline and the output files are relative to it. */
  root: string
  /** A `--shard` run without `--merge-reports`: run-level judgements wait for the merge run. */
  shard: boolean
  /** `key(project, file, name)` of tests that ran in a file of this run without a reading (skipped, todo, concurrent, interrupted): an update keeps their entries. */
  unmeasured: Set<string>
  log(message: string): void
  error(message: string): void
  env?: Record<string, string | undefined>
  /** Output files this run could not write, as the summary line names them (`the report x.json (ENOTDIR)`); filled by `writeOutput`. */
  failedWrites: string[]
}

/** How `writeOutput` touches the disk (tests replace it to fail where the disk does not). */
export interface OutputIo {
  write(path: string, text: string): void
  /** Remove the file at `path`; true when there was one. */
  remove(path: string): boolean
}

const diskIo: OutputIo = {
  write: writeFileAtomic,
  remove(path) {
    if (!existsSync(path)) return false
    rmSync(path, { force: true })
    return true
  },
}

/**
 * Write one output file of the run (`what`: "report", "HTML report"...). A failure is printed,
 * noted in `ctx.failedWrites` for the summary line, and fails the run. The file an earlier run
 * wrote there would then pass for this run's: it is removed, and when that fails too the message
 * says that the file there is stale. Returns the path written, or undefined.
 */
export function writeOutput(what: string, path: string, text: () => string, ctx: RunContext, io: OutputIo = diskIo): string | undefined {
  try {
    io.write(path, text())
    return path
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    let stale = ''
    try {
      if (io.remove(path)) stale = ` The previous run's ${what} there was removed, so it is not taken for this run's.`
    } catch (removeError) {
      stale = ` The ${what} there is from an earlier run and stale: it could not be removed either (${(removeError as Error).message}).`
    }
    ctx.error(`vitest-memory: could not write the ${what} to ${path}: ${message}.${stale} The run fails because of it.`)
    ctx.failedWrites.push(`the ${what} ${rel(ctx.root, path)}${code ? ` (${code})` : ''}`)
    process.exitCode = 1
    return undefined
  }
}

function rel(root: string, path: string): string {
  const r = relative(root, path).split('\\').join('/')
  return r.startsWith('..') ? path : r
}

function toleranceText(t: ReportBaseline['tolerance']): string {
  const one = (m: { relative: number; absolute: number }) => `+${Math.round(m.relative * 100)}% and +${formatBytes(m.absolute)}`
  return `retained ${one(t.retained)}, peak ${one(t.peak)}`
}

function counts(s: Comparison['summary']): string {
  const parts = [`${s.regressed} regressed`, `${s.improved} improved`, `${s.new} new`, `${s.gone} gone`]
  if (s.notRun) parts.push(`${s.notRun} not run`)
  return parts.join(', ')
}

/**
 * Compare the report with the baseline file, or write the file when an update was asked for.
 * Sets `report.baseline` (and each test's and file's `baseline`). A regression in `fail` mode,
 * or an unreadable baseline in `fail` mode, sets `process.exitCode = 1`.
 */
export function applyBaseline(report: MemoryReport, options: ResolvedReportOptions, ctx: RunContext): void {
  const opts = options.baseline
  if (opts === false || (opts.mode === 'off' && !opts.update)) return
  const path = resolve(ctx.root, opts.file)
  const shown = rel(ctx.root, path)
  const result: ReportBaseline = { file: shown, status: 'compared', message: '', mode: opts.mode, verdict: 'unchecked', tolerance: opts.tolerance }
  report.baseline = result
  if (ctx.shard) {
    result.status = 'deferred'
    result.message = `shard run: the baseline is compared${opts.update ? ' and updated' : ''} in the --merge-reports run, which sees every shard.`
    return
  }
  const read = readBaseline(path, shown)
  const head = baselineFromReport(report)
  // A baseline file that did not run is gone when its test file no longer exists; otherwise it was filtered out of this run.
  const isGone = (_project: string, file: string) => !existsSync(resolve(ctx.root, file))

  if (!opts.update) {
    if (read.status !== 'ok') {
      result.status = read.status
      result.message = read.message
      if (read.status === 'corrupt') {
        result.verdict = opts.mode === 'fail' ? 'fail' : opts.mode === 'warn' ? 'warn' : 'unchecked'
        if (result.verdict === 'fail') process.exitCode = 1
      }
      return
    }
    const comparison = compareBaselines(read.baseline, head, opts.tolerance, { isGone })
    annotateReport(report, comparison)
    result.summary = comparison.summary
    if (comparison.gone.length) result.gone = comparison.gone
    const s = comparison.summary
    result.verdict = opts.mode === 'off' ? 'unchecked' : s.regressed > 0 ? opts.mode : 'pass'
    result.message = `compared ${s.compared} tests and files with ${shown}: ${counts(s)} (tolerance: ${toleranceText(opts.tolerance)}).`
    if (s.regressed > 0) result.message += ` If the growth is intended, accept it with ${UPDATE_COMMAND} and commit ${shown}.`
    if (result.verdict === 'fail') process.exitCode = 1
    return
  }

  // Update: compare with what was there (to keep unchanged tests byte for byte), then write.
  const old = read.status === 'ok' ? read.baseline : undefined
  const comparison = old ? compareBaselines(old, head, opts.tolerance, { isGone }) : undefined
  if (comparison) {
    annotateReport(report, comparison)
    result.summary = comparison.summary
    if (comparison.gone.length) result.gone = comparison.gone
  }
  const updated = updateBaseline(old, head, comparison, { update: opts.update, unmeasured: ctx.unmeasured, isGone })
  const text = serializeBaseline(updated.baseline)
  const before = existsSync(path) ? safeRead(path) : undefined
  try {
    if (text !== before) writeFileAtomic(path, text)
  } catch (error) {
    result.status = read.status === 'ok' ? 'compared' : read.status
    result.message = `could not write the baseline ${shown}: ${(error as Error).message}`
    result.verdict = 'fail'
    process.exitCode = 1
    return
  }
  result.status = 'updated'
  result.update = { added: updated.added, changed: updated.changed, removed: updated.removed, kept: updated.kept }
  const what = `${updated.added} added, ${updated.changed} changed, ${updated.removed} removed, ${updated.kept} unchanged`
  const was = read.status === 'corrupt' ? ` (it was unreadable: ${read.message})` : read.status === 'missing' ? ' (new file)' : ''
  result.message = text === before
    ? `baseline ${shown} is up to date (${what}).`
    : `updated ${shown}${was}: ${what}${opts.update === 'all' ? ' (every value rewritten)' : ' (tests within the tolerance keep their values)'}. Review the diff and commit it.`
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

export interface WrittenOutputs {
  html?: string
  markdown?: string
}

/**
 * After the JSON: the HTML report, the Markdown summary, and on GitHub Actions the annotations and
 * the step summary. Annotations and the step summary wait for the merge run in a shard run (the
 * merge run sees every shard; the shards would repeat them). A failure to write is reported and
 * fails the run, like a failure to write the JSON report (see `writeOutput`).
 */
export function writeRunOutputs(report: MemoryReport, options: ResolvedReportOptions, ctx: RunContext, reportPath: string | undefined): WrittenOutputs {
  const written: WrittenOutputs = {}
  const write = (what: string, file: string, text: () => string) => writeOutput(what, resolve(ctx.root, file), text, ctx)
  if (options.html !== false) written.html = write('HTML report', options.html, () => renderHtml(report))
  const shownReport = reportPath ? rel(ctx.root, reportPath) : undefined
  const shownHtml = written.html ? rel(ctx.root, written.html) : undefined
  let markdown: string | undefined
  const md = () => (markdown ??= renderMarkdown(report, { reportPath: shownReport, htmlPath: shownHtml, failedWrites: ctx.failedWrites }))
  if (options.markdown !== false) written.markdown = write('Markdown summary', options.markdown, md)
  const env = ctx.env ?? process.env
  if (options.githubActions && !ctx.shard) {
    const lines = githubAnnotations(report, { root: ctx.root, workspace: env.GITHUB_WORKSPACE })
    if (lines.length) ctx.log(lines.join('\n'))
    const summaryFile = env.GITHUB_STEP_SUMMARY
    if (summaryFile) {
      try {
        appendStepSummary(summaryFile, md())
      } catch (error) {
        ctx.error(`vitest-memory: could not append to $GITHUB_STEP_SUMMARY (${summaryFile}): ${(error as Error).message}`)
      }
    }
  }
  return written
}

/**
 * The baseline's lines for the terminal, after the summary. Empty when there is nothing to say:
 * no comparison, or no baseline file while the options never asked for one (then the hint is in
 * the report, the Markdown summary and the full terminal summary only).
 */
export function renderBaselineTerminal(report: MemoryReport, full: boolean, options?: ResolvedReportOptions): string {
  const b = report.baseline
  if (!b) return ''
  if (b.status === 'missing' && !full && options?.baseline && !options.baseline.explicit) return ''
  const tag = c.inverse(c.bold(' BASELINE '))
  const color = b.verdict === 'fail' || b.status === 'corrupt' ? c.red : b.verdict === 'warn' ? c.yellow : (s: string) => s
  const out = [`${tag} ${color(b.message)}`]
  const line = (label: string, x: { project: string; file: string; name?: string }, messages?: string[]) =>
    `  ${label} ${c.dim(`${x.project ? `[${x.project}] ` : ''}${x.file} >`)} ${x.name ?? c.dim('(whole file)')}${messages?.length ? `\n       ${messages.join('\n       ')}` : ''}`
  const limit = full ? Infinity : 10
  const list = <T>(items: T[], render: (item: T) => string) => {
    for (const item of items.slice(0, limit)) out.push(render(item))
    if (items.length > limit) out.push(c.dim(`  … ${items.length - limit} more in the report`))
  }
  const regressed = [...report.tests.filter((t) => t.baseline?.status === 'regressed'), ...report.files.filter((f) => f.baseline?.status === 'regressed')]
  const improved = [...report.tests.filter((t) => t.baseline?.status === 'improved'), ...report.files.filter((f) => f.baseline?.status === 'improved')]
  const paint = b.mode === 'fail' && b.status === 'compared' ? c.red : c.yellow
  list(regressed, (x) => line(paint('REGRESSED'), { project: x.project, file: x.file, name: 'name' in x ? x.name : undefined }, x.baseline?.messages))
  list(improved, (x) => line(c.green('IMPROVED '), { project: x.project, file: x.file, name: 'name' in x ? x.name : undefined }, x.baseline?.messages))
  const fresh = report.tests.filter((t) => t.baseline?.status === 'new')
  if (fresh.length && (full || fresh.length <= 5)) list(fresh, (t) => line(c.cyan('NEW      '), t))
  list(b.gone ?? [], (g) => line(c.dim('GONE     '), g))
  return `${out.join('\n')}\n`
}

/**
 * For each finished test, the sentence to annotate it with when it regressed against the baseline,
 * so the regression shows where Vitest's UI and HTML reporter show per-test information. Undefined
 * when there is nothing to compare with (no baseline, an update, a shard run, mode `off`). Tests
 * of one file that share a name are told apart as in the baseline (`name #2`...), in the order
 * their results arrive: the order they ran, which is the report's order.
 */
export function regressionChecker(options: ResolvedReportOptions, root: string, shard: boolean): ((project: string, file: string, name: string, memory: TestMemory) => string | undefined) | undefined {
  const b = options.baseline
  if (b === false || b.mode === 'off' || b.update || shard) return undefined
  const read = readBaseline(resolve(root, b.file))
  if (read.status !== 'ok') return undefined
  const nameOf = baselineNamer()
  return (project, file, name, memory) => {
    if (memory.precision === 'shared') return undefined
    const entry = testEntry(read.baseline, project, file, nameOf(project, file, name))
    if (!entry) return undefined
    const d = compareEntry({ retained: memory.retained, peak: memory.peakHeap - memory.heapBefore }, entry, b.tolerance)
    return d.status === 'regressed' ? `memory regression (baseline ${b.mode}): ${(d.messages ?? []).join('; ')}` : undefined
  }
}
