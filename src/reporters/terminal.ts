// The terminal summary printed after the run.
import c from 'picocolors'
import { formatBytes, formatDelta } from '../shared/size.ts'
import type { MemoryReport, ReportFile, ReportTest, ReportWorker } from './json.ts'
import { legend, mark, unjudged, workerMark, type Mark } from './labels.ts'

const BARS = '▁▂▃▄▅▆▇█'

/** A one-line chart of `values`, resampled to at most `width` columns (each column shows its maximum). */
export function sparkline(values: number[], width = 40): string {
  if (values.length === 0) return ''
  const columns: number[] = []
  const per = Math.max(1, values.length / width)
  for (let start = 0; start < values.length; start += per) {
    columns.push(Math.max(...values.slice(Math.floor(start), Math.max(Math.floor(start + per), Math.floor(start) + 1))))
  }
  const min = Math.min(...columns)
  const span = Math.max(...columns) - min
  return columns.map((v) => BARS[span === 0 ? 0 : Math.round(((v - min) / span) * (BARS.length - 1))]).join('')
}

function pad(text: string, width: number, right = false): string {
  const visible = text.length
  if (visible >= width) return text
  return right ? ' '.repeat(width - visible) + text : text + ' '.repeat(width - visible)
}

function testLabel(t: Pick<ReportTest, 'file' | 'name'>): string {
  return `${c.dim(`${t.file} >`)} ${t.name}`
}

function retainedText(t: ReportTest): string {
  return `${mark(t, 'test')}${formatBytes(t.retained)}`
}

function table(title: string, rows: string[][], widths: number[]): string[] {
  const lines = [c.bold(title)]
  for (const row of rows) lines.push(`  ${row.map((cell, i) => (i < widths.length ? pad(cell, widths[i]!, i > 0) : cell)).join('  ')}`)
  return lines
}

export interface SummaryOptions {
  top: number
  /** Print every section even when all is well. */
  full: boolean
  reportPath: string | undefined
  /** Output files the run could not write (`the report x.json (ENOTDIR)`): the run fails, and the summary line says why. */
  failedWrites?: string[]
}

export function renderSummary(report: MemoryReport, options: SummaryOptions): string {
  const { summary } = report
  const tag = c.inverse(c.bold(' MEMORY '))
  const where = options.reportPath ? ` · report ${options.reportPath}` : ''
  const writes = options.failedWrites?.length ? ` · ${c.red(`the run fails: could not write ${options.failedWrites.join(', ')}`)}` : ''
  const measured = report.tests.filter((t) => t.precision !== 'shared')
  const heaviest = [...measured].sort((a, b) => b.retained - a.retained)[0]
  const leftOpen = report.tests.filter((t) => t.handlesLeft)
  // Tests that were measured but not judged are said, with why: "all within budget" covers only the others.
  const notJudged = unjudged(report)
  if (!options.full && summary.failed === 0 && summary.warned === 0 && report.interrupted.length === 0) {
    const heaviestMark = heaviest ? mark(heaviest, 'test') : ''
    const heavy = heaviest ? ` · most retained ${retainedText(heaviest)}${heaviestMark ? ` (${heaviestMark === '≤' ? 'an upper bound' : 'a lower bound'})` : ''} (${heaviest.file} > ${heaviest.name})` : ''
    const open = leftOpen.length ? ` · ${leftOpen.length} test${leftOpen.length === 1 ? '' : 's'} left handles open (terminal: 'full' lists them)` : ''
    const judged = notJudged ? `${summary.tests - report.tests.filter((t) => t.verdict === 'unchecked').length} within budget, ${notJudged}` : 'all within budget'
    return `\n${tag} ${summary.tests} tests in ${summary.files} files measured (${report.mode} mode), ${judged}${writes}${heavy}${open}${where}\n`
  }

  const out: string[] = ['', `${tag} ${summary.tests} tests in ${summary.files} files · ${report.mode} mode · harness GC ${summary.harnessGcMs} ms · ${summary.failed ? c.red(`${summary.failed} over budget`) : 'none over budget'}${summary.warned ? c.yellow(` · ${summary.warned} warnings`) : ''}${notJudged ? ` · ${notJudged}` : ''}${writes}`]
  const marks = new Set<Mark>()

  const flagged = [
    ...report.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'warn').map((t) => ({ verdict: t.verdict, label: testLabel(t), violations: t.violations ?? [] })),
    ...report.files.filter((f) => f.verdict === 'fail' || f.verdict === 'warn').map((f) => ({ verdict: f.verdict, label: `${f.file} ${c.dim('(whole file)')}`, violations: f.violations ?? [] })),
    ...report.workers.filter((w) => w.verdict === 'fail' || w.verdict === 'warn').map((w) => ({ verdict: w.verdict, label: `worker ${w.id} ${c.dim(`(slot ${w.slot}, ${w.files} files)`)}`, violations: w.violations ?? [] })),
  ]
  if (flagged.length) {
    out.push('', c.bold('Over budget'))
    for (const f of flagged) {
      out.push(`  ${f.verdict === 'fail' ? c.red('FAIL') : c.yellow('WARN')} ${f.label}`)
      for (const v of f.violations) out.push(`       ${v.message}`)
    }
  }

  if (report.interrupted.length) {
    // STOPPED only for what the watchdog stopped; a worker that crashed or ran out of memory DIED.
    const stopped = report.interrupted.filter((t) => t.stopped).length
    const ended = stopped === report.interrupted.length ? 'stopped by the watchdog' : stopped === 0 ? 'died' : 'stopped or died'
    out.push('', c.bold(c.red(`Worker ${ended} while these tests ran`)))
    for (const t of report.interrupted) {
      out.push(`  ${c.red(t.stopped ? 'STOPPED' : 'DIED   ')} ${testLabel(t)}`)
      const s = t.stopped
      if (s) {
        const shared = s.threads && s.threads > 1 ? c.dim(` · process RSS, shared by the ${s.threads} threads stopped`) : ''
        out.push(`       stopped by the watchdog at ${formatBytes(s.rss)} RSS (limit ${formatBytes(s.limit)}) ${sparkline(s.rssCurve.map((p) => p[1]), 24)}${shared}`)
      } else if (t.died) {
        out.push(c.dim(`       died by itself · last RSS reading ${formatBytes(t.died.rss)} ${sparkline(t.died.rssCurve.map((p) => p[1]), 24)}`))
      }
    }
  }

  if (leftOpen.length) {
    out.push('', c.bold('Left open after the test'))
    const limit = Math.max(options.top, 1) * 2
    for (const t of leftOpen.slice(0, limit)) {
      out.push(`  ${testLabel(t)}  ${c.yellow(Object.entries(t.handlesLeft!).map(([type, n]) => `${n} ${type}`).join(', '))}`)
    }
    if (leftOpen.length > limit) out.push(c.dim(`  … ${leftOpen.length - limit} more in the report`))
  }

  if (options.top > 0 && measured.length) {
    const row = (t: ReportTest) => {
      marks.add(mark(t, 'test'))
      return [retainedText(t), formatDelta(t.peakHeap - t.heapBefore), formatBytes(t.rssPeak), testLabel(t)]
    }
    out.push('', ...table(`Most retained`, [['retained', 'peak', 'RSS peak', 'test'].map((h) => c.dim(h)), ...[...measured].sort((a, b) => b.retained - a.retained).slice(0, options.top).map(row)], [10, 10, 10]))
    out.push('', ...table(`Highest peak heap`, [['retained', 'peak', 'RSS peak', 'test'].map((h) => c.dim(h)), ...[...measured].sort((a, b) => (b.peakHeap - b.heapBefore) - (a.peakHeap - a.heapBefore)).slice(0, options.top).map(row)], [10, 10, 10]))
  }

  if (report.files.length) {
    const files = [...report.files].sort((a, b) => b.retained - a.retained).slice(0, Math.max(options.top, 1) * 2)
    out.push('', ...table(filesHeading(files), [
      ['retained', 'peak', 'RSS peak', 'tests', 'file'].map((h) => c.dim(h)),
      ...files.map((f) => {
        marks.add(mark(f, 'file'))
        return [`${mark(f, 'file')}${formatDelta(f.retained)}`, formatDelta(f.peakHeap - f.heapBefore), formatBytes(f.rssPeak), String(f.tests), f.file]
      }),
    ], [10, 10, 10, 5]))
    if (report.files.length > files.length) out.push(c.dim(`  … ${report.files.length - files.length} more in the report`))
  }

  const workers = report.workers.filter((w) => w.series.length > 1)
  if (workers.length) {
    out.push('', c.bold('Heap over the run, per worker'))
    for (const w of workers.slice(0, 8)) {
      marks.add(workerMark(w))
      out.push(`  ${workerLine(w)}`)
    }
    if (workers.length > 8) out.push(c.dim(`  … ${workers.length - 8} more workers in the report`))
  }
  const key = legend(marks)
  if (key) out.push('', c.dim(`  ${key}`))
  for (const note of report.notes) out.push(c.dim(`  note: ${note}`))
  if (options.reportPath) out.push('', `Report: ${options.reportPath}`)
  out.push('')
  return out.join('\n')
}

function workerLine(w: ReportWorker): string {
  const heaps = w.series.map((p) => p[1])
  const first = heaps[0]!
  const last = heaps[heaps.length - 1]!
  const growth = workerMark(w) ? `${workerMark(w)}${formatDelta(w.heapGrowth)}, minor GC readings` : `${formatDelta(w.heapGrowth)} exact`
  return `${pad(`#${w.slot} ${w.id}`, 16)} ${sparkline(heaps)}  ${formatBytes(first)} → ${formatBytes(last)} (${growth}) · ${w.files} files, ${w.tests} tests`
}

/** How the files' readings were taken, for the heading of their table. */
function filesHeading(files: ReportFile[]): string {
  if (files.every((f) => f.precision === 'exact')) return 'Files (full GC before and after)'
  if (files.every((f) => f.precision === 'estimate')) return 'Files (~ minor GC readings, not comparable with the tests\' figures: set a file budget for exact ones)'
  return 'Files (full GC before and after, ~ minor GC readings)'
}
