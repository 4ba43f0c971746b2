// How each figure was obtained, said the same way in the terminal and the Markdown summary (the
// HTML client, html-template/report.js, says it in the same words). A figure without a mark is
// exact: a full GC before and after.
import type { MemoryReport, ReportFile, ReportTest, ReportWorker } from './json.ts'

export type Mark = '' | '≤' | '≥' | '~'

/**
 * `≤` an upper bound (a test read without a full GC: garbage may be in it), `≥` a lower bound (full
 * GC after the test only, `retainedMax` above it), `~` neither: a concurrent test's shared heap, or
 * a file read between minor GCs (garbage at either end, see docs/report.md "Precision").
 */
export function mark(x: Pick<ReportTest, 'precision'> | Pick<ReportFile, 'precision'>, kind: 'test' | 'file'): Mark {
  if (x.precision === 'exact') return ''
  if (kind === 'file' || x.precision === 'shared') return '~'
  return x.precision === 'estimate' ? '≤' : '≥'
}

/** A worker's heap growth is exact when both its first and last file readings are. */
export function workerMark(w: Pick<ReportWorker, 'heapGrowthPrecision'>): Mark {
  return w.heapGrowthPrecision === 'estimate' ? '~' : ''
}

const MEANINGS: Record<Exclude<Mark, ''>, string> = {
  '≤': '≤ an upper bound (no full GC after the test: garbage may be counted)',
  '≥': '≥ a lower bound (full GC after the test only)',
  '~': '~ an estimate, not a bound (files between minor GCs, concurrent tests sharing a heap): not comparable with exact figures',
}

/** The legend for the marks in `used`, e.g. `≤ an upper bound (...) · no mark: exact (...)`; '' when all are exact. */
export function legend(used: Iterable<Mark>): string {
  const marks = new Set(used)
  const parts = (['≤', '≥', '~'] as const).filter((m) => marks.has(m)).map((m) => MEANINGS[m])
  return parts.length ? `${parts.join(' · ')} · no mark: exact (full GC before and after)` : ''
}

/** Tests measured but not judged, and why, e.g. `5 not judged (concurrent tests share one heap)`; '' when every test was judged. */
export function unjudged(report: Pick<MemoryReport, 'tests'>): string {
  const unchecked = report.tests.filter((t) => t.verdict === 'unchecked')
  if (!unchecked.length) return ''
  const concurrent = unchecked.filter((t) => t.precision === 'shared').length
  const off = unchecked.filter((t) => t.precision !== 'shared' && t.budgetMode === 'off').length
  const other = unchecked.length - concurrent - off
  const why = [
    concurrent && `${concurrent === unchecked.length ? '' : `${concurrent} `}concurrent: they share one heap`,
    off && `${off === unchecked.length ? '' : `${off} `}budgetMode 'off'`,
    other && `${other} without a verdict`,
  ].filter(Boolean)
  return `${unchecked.length} not judged (${why.join('; ')})`
}
