// The Markdown summary: for `$GITHUB_STEP_SUMMARY`, pull-request comments, or any CI that shows
// Markdown. Test names and paths are escaped: they are shown, never interpreted.
import { formatBytes, formatDelta } from '../shared/size.ts'
import type { MemoryReport, ReportFile, ReportTest } from './json.ts'
import { legend, mark, unjudged, type Mark } from './labels.ts'

/** Rows per list before "… N more". Keeps the summary well under GitHub's 1 MiB step-summary limit. */
const MAX_ROWS = 30

/**
 * Text for a Markdown table cell or list item: on one line, HTML special characters as entities,
 * and the characters that mean something inline (emphasis, code, links, table cells) escaped.
 */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // @mentions would notify people when the summary is posted as a comment.
    .replace(/@/g, '&#64;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
}

function where(x: { project: string; file: string; name?: string }): string {
  return `${x.project ? `[${x.project}] ` : ''}${x.file}${x.name !== undefined ? ` > ${x.name}` : ''}`
}

function table(head: string[], rows: string[][], align: Array<'l' | 'r'> = []): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ]
}

function more(total: number): string[] {
  return total > MAX_ROWS ? ['', `… ${total - MAX_ROWS} more in the report.`] : []
}

function retainedText(x: ReportTest | ReportFile, kind: 'test' | 'file' = 'test'): string {
  return `${mark(x, kind)}${formatDelta(x.retained)}`
}

export interface MarkdownOptions {
  /** Where the JSON report was written, as shown to readers. */
  reportPath?: string
  /** Where the HTML report was written, as shown to readers. */
  htmlPath?: string
  top?: number
  /** Output files the run could not write (`the report x.json (ENOTDIR)`): the run fails, and the headline says why. */
  failedWrites?: string[]
}

/** The headline of a run, e.g. `2 over budget, 1 regressed` or `all within budget`. */
export function headline(report: MemoryReport): string {
  const parts: string[] = []
  if (report.summary.failed) parts.push(`${report.summary.failed} over budget`)
  if (report.summary.warned) parts.push(`${report.summary.warned} ${report.summary.warned === 1 ? 'warning' : 'warnings'}`)
  const b = report.baseline
  if (b?.summary?.regressed) parts.push(`${b.summary.regressed} regressed`)
  if (b?.status === 'corrupt') parts.push('baseline unreadable')
  if (report.interrupted.length) parts.push(`${report.interrupted.length} interrupted`)
  const notJudged = unjudged(report)
  if (!parts.length) return notJudged ? `${report.tests.filter((t) => t.verdict !== 'unchecked').length} within budget, ${notJudged}` : 'all within budget'
  if (notJudged) parts.push(notJudged)
  return parts.join(', ')
}

export function renderMarkdown(report: MemoryReport, options: MarkdownOptions = {}): string {
  const s = report.summary
  const b = report.baseline
  const out: string[] = []
  const writes = options.failedWrites?.length ? ` · the run fails: could not write ${options.failedWrites.join(', ')}` : ''
  const bad = s.failed > 0 || report.interrupted.length > 0 || (b?.verdict === 'fail') || writes !== ''
  const warn = s.warned > 0 || b?.verdict === 'warn'
  out.push(`## ${bad ? '❌' : warn ? '⚠️' : '✅'} vitest-memory: ${headline(report)}${writes}`, '')
  out.push(`**${s.tests} tests** in ${s.files} files · ${report.mode} mode · Node ${report.environment.node} · Vitest ${report.environment.vitest} · harness GC ${s.harnessGcMs} ms`, '')

  const measured = report.tests.filter((t) => t.precision !== 'shared')
  const rows: string[][] = [['Over budget', String(s.failed)], ['Warnings', String(s.warned)]]
  if (b) {
    const counts = b.summary ? `${b.summary.regressed} regressed, ${b.summary.improved} improved, ${b.summary.new} new, ${b.summary.gone} gone` : b.status
    rows.push(['Baseline', `${mdText(counts)} (\`${b.file.replace(/`/g, "'")}\`)`])
  }
  const heaviest = [...measured].sort((x, y) => y.retained - x.retained)[0]
  if (heaviest) rows.push(['Most retained', `${retainedText(heaviest)} (${mdText(where(heaviest))})`])
  const peakiest = [...measured].sort((x, y) => (y.peakHeap - y.heapBefore) - (x.peakHeap - x.heapBefore))[0]
  if (peakiest) rows.push(['Highest peak', `${formatDelta(peakiest.peakHeap - peakiest.heapBefore)} (${mdText(where(peakiest))})`])
  out.push(...table(['', ''], rows), '')

  if (b && b.status !== 'compared') out.push(`> ${mdText(b.message)}`, '')

  const flagged: Array<{ verdict: string; label: string; why: string }> = [
    ...report.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'warn').map((t) => ({ verdict: t.verdict, label: where(t), why: (t.violations ?? []).map((v) => v.message).join('; ') })),
    ...report.files.filter((f) => f.verdict === 'fail' || f.verdict === 'warn').map((f) => ({ verdict: f.verdict, label: `${where(f)} (whole file)`, why: (f.violations ?? []).map((v) => v.message).join('; ') })),
    ...report.workers.filter((w) => w.verdict === 'fail' || w.verdict === 'warn').map((w) => ({ verdict: w.verdict, label: `worker ${w.id} (slot ${w.slot})`, why: (w.violations ?? []).map((v) => v.message).join('; ') })),
  ]
  if (flagged.length) {
    out.push('### Over budget', '')
    out.push(...table(['', 'Where', 'Why'], flagged.slice(0, MAX_ROWS).map((f) => [f.verdict === 'fail' ? '❌ fail' : '⚠️ warn', mdText(f.label), mdText(f.why)])), ...more(flagged.length), '')
  }

  if (report.interrupted.length) {
    out.push('### Worker stopped or died while these tests ran', '')
    for (const t of report.interrupted.slice(0, MAX_ROWS)) out.push(`- ${mdText(where(t))} (${t.stopped ? 'stopped by the watchdog' : 'died'})`)
    out.push(...more(report.interrupted.length), '')
  }

  const moved = (status: 'regressed' | 'improved') => [
    ...report.tests.filter((t) => t.baseline?.status === status).map((t) => ({ x: t as ReportTest | ReportFile, kind: 'test' as const, label: where(t) })),
    ...report.files.filter((f) => f.baseline?.status === status).map((f) => ({ x: f as ReportTest | ReportFile, kind: 'file' as const, label: `${where(f)} (whole file)` })),
  ]
  const marks = new Set<Mark>()
  for (const [status, title] of [['regressed', 'Regressed against the baseline'], ['improved', 'Improved against the baseline']] as const) {
    const list = moved(status)
    if (!list.length) continue
    out.push(`### ${title}`, '')
    out.push(...table(['Where', 'Retained', 'Peak', 'Change'], list.slice(0, MAX_ROWS).map(({ x, kind, label }) => {
      marks.add(mark(x, kind))
      return [
        mdText(label),
        `${formatBytes(x.baseline!.retained!)} → ${mark(x, kind)}${formatBytes(x.retained)}`,
        `${formatBytes(x.baseline!.peak!)} → ${formatBytes(x.peakHeap - x.heapBefore)}`,
        mdText((x.baseline!.messages ?? []).join('; ')),
      ]
    }), ['l', 'r', 'r', 'l']), ...more(list.length), '')
  }
  const newTests = report.tests.filter((t) => t.baseline?.status === 'new')
  if (newTests.length) {
    out.push(`<details><summary>New to the baseline (${newTests.length})</summary>`, '')
    for (const t of newTests.slice(0, MAX_ROWS)) {
      marks.add(mark(t, 'test'))
      out.push(`- ${mdText(where(t))}: retained ${retainedText(t)}, peak ${formatDelta(t.peakHeap - t.heapBefore)}`)
    }
    out.push(...more(newTests.length), '', '</details>', '')
  }
  if (b?.gone?.length) {
    out.push(`<details><summary>Gone from the suite (${b.gone.length})</summary>`, '')
    for (const g of b.gone.slice(0, MAX_ROWS)) out.push(`- ${mdText(where(g))}${g.name === undefined ? ' (whole file)' : ''}`)
    out.push(...more(b.gone.length), '', '</details>', '')
  }

  const top = options.top ?? 5
  if (top > 0 && measured.length) {
    out.push('### Heaviest tests', '')
    const list = [...measured].sort((x, y) => y.retained - x.retained).slice(0, top)
    for (const t of list) marks.add(mark(t, 'test'))
    out.push(...table(['Retained', 'Peak', 'RSS peak', 'Test'], list.map((t) => [retainedText(t), formatDelta(t.peakHeap - t.heapBefore), formatBytes(t.rssPeak), mdText(where(t))]), ['r', 'r', 'r', 'l']), '')
  }
  if (heaviest) marks.add(mark(heaviest, 'test'))
  const key = legend(marks)
  if (key) out.push(`<sub>${mdText(key)}</sub>`, '')
  for (const note of report.notes) out.push(`> ${mdText(note)}`, '')
  const links = [options.reportPath && `JSON report: \`${options.reportPath}\``, options.htmlPath && `HTML report: \`${options.htmlPath}\``].filter(Boolean)
  if (links.length) out.push(links.join(' · '), '')
  return `${out.join('\n').trimEnd()}\n`
}
