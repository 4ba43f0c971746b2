// GitHub Actions integration: workflow-command annotations at each over-budget or regressed test
// (file and line), and the Markdown summary appended to $GITHUB_STEP_SUMMARY.
// https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands
import { appendFileSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { formatBytes } from '../shared/size.ts'
import type { MemoryReport } from './json.ts'

/** GitHub shows at most 10 errors and 10 warnings per step; more only add noise to the log. */
const MAX_ANNOTATIONS = 50

/** Escape the message part of a workflow command. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Escape a property value (file, title) of a workflow command. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  /** Path as GitHub wants it: relative to the workspace (repository root). */
  file?: string
  line?: number
  col?: number
  title: string
  message: string
}

export function formatAnnotation(a: Annotation): string {
  const props = [a.file !== undefined && `file=${escapeProperty(a.file)}`, a.line !== undefined && `line=${a.line}`, a.col !== undefined && `col=${a.col}`, `title=${escapeProperty(a.title)}`].filter(Boolean)
  return `::${a.level} ${props.join(',')}::${escapeData(a.message)}`
}

export interface AnnotationContext {
  /** The Vitest root: report paths are relative to it. */
  root: string
  /** `GITHUB_WORKSPACE`: annotation paths are relative to it (else to the current directory). */
  workspace?: string
}

function pathFor(file: string, ctx: AnnotationContext): string {
  const absolute = isAbsolute(file) ? file : resolve(ctx.root, file)
  const base = ctx.workspace || process.cwd()
  const rel = relative(base, absolute)
  return (rel.startsWith('..') || isAbsolute(rel) ? absolute : rel).split('\\').join('/')
}

/** A diagnosis in two lines: where the memory was allocated, what holds it. */
function diagnosisLines(t: MemoryReport['tests'][number]): string[] {
  const d = t.diagnosis
  if (!d) return []
  const lines: string[] = []
  if (d.sites.length) lines.push(`allocated at: ${d.sites.slice(0, 2).map((s) => `${s.file}:${s.line}:${s.column} ${s.function}`).join(', ')}`)
  if (d.paths.length) lines.push(`held by: ${d.paths[0]!.path}`)
  return lines
}

function label(x: { project: string; name?: string; file: string }): string {
  return `${x.project ? `[${x.project}] ` : ''}${x.name ?? x.file}`
}

/**
 * The annotations for a report: tests and files over budget (`error` in fail mode, `warning` in
 * warn mode), tests and files that regressed against the baseline (by `baseline.mode`), workers over
 * budget, and an unreadable baseline.
 */
export function annotationsFor(report: MemoryReport, ctx: AnnotationContext): Annotation[] {
  const out: Annotation[] = []
  const level = (v: string): Annotation['level'] => (v === 'fail' ? 'error' : 'warning')
  for (const t of report.tests) {
    if (t.verdict === 'fail' || t.verdict === 'warn') {
      const a: Annotation = { level: level(t.verdict), file: pathFor(t.file, ctx), title: `Memory budget: ${label(t)}`, message: [...(t.violations ?? []).map((v) => v.message), ...diagnosisLines(t)].join('\n') }
      if (t.line !== undefined) a.line = t.line
      out.push(a)
      // And at the line that allocated what the test kept (its function, in the user's source).
      const site = t.diagnosis?.sites[0]
      if (site) {
        out.push({ level: 'warning', file: pathFor(site.file, ctx), line: site.line, col: site.column, title: `Memory kept by ${label(t)}: allocated here`, message: `${site.function} allocated ~${formatBytes(site.bytes)} (sampled) that the test still held at its end${t.diagnosis!.paths[0] ? `\nheld by: ${t.diagnosis!.paths[0].path}` : ''}` })
      }
    }
  }
  for (const f of report.files) {
    if (f.verdict === 'fail' || f.verdict === 'warn') {
      out.push({ level: level(f.verdict), file: pathFor(f.file, ctx), title: `Memory budget: ${label(f)} (whole file)`, message: (f.violations ?? []).map((v) => v.message).join('\n') })
    }
  }
  const b = report.baseline
  if (b && b.mode !== 'off' && b.status === 'compared') {
    for (const t of report.tests) {
      if (t.baseline?.status !== 'regressed') continue
      const a: Annotation = { level: level(b.mode), file: pathFor(t.file, ctx), title: `Memory regression: ${label(t)}`, message: (t.baseline.messages ?? []).join('\n') }
      if (t.line !== undefined) a.line = t.line
      out.push(a)
    }
    for (const f of report.files) {
      if (f.baseline?.status !== 'regressed') continue
      out.push({ level: level(b.mode), file: pathFor(f.file, ctx), title: `Memory regression: ${label(f)} (whole file)`, message: (f.baseline.messages ?? []).join('\n') })
    }
  }
  if (b?.status === 'corrupt' && b.mode !== 'off') {
    out.push({ level: level(b.mode), file: pathFor(b.file, ctx), title: 'Memory baseline unreadable', message: b.message })
  }
  for (const w of report.workers) {
    if (w.verdict === 'fail' || w.verdict === 'warn') {
      out.push({ level: level(w.verdict), title: `Memory budget: worker ${w.id}`, message: (w.violations ?? []).map((v) => v.message).join('\n') })
    }
  }
  return out
}

/** The workflow-command lines to print, at most MAX_ANNOTATIONS of them (errors first). */
export function githubAnnotations(report: MemoryReport, ctx: AnnotationContext): string[] {
  const all = annotationsFor(report, ctx)
  const order = { error: 0, warning: 1, notice: 2 }
  const sorted = all.map((a, i) => ({ a, i })).sort((x, y) => order[x.a.level] - order[y.a.level] || x.i - y.i).map((x) => x.a)
  const lines = sorted.slice(0, MAX_ANNOTATIONS).map(formatAnnotation)
  if (all.length > MAX_ANNOTATIONS) lines.push(formatAnnotation({ level: 'notice', title: 'vitest-memory', message: `${all.length - MAX_ANNOTATIONS} more memory findings: see the step summary or the report.` }))
  return lines
}

/** Append the Markdown summary to the step summary file GitHub gives each step. */
export function appendStepSummary(path: string, markdown: string): void {
  appendFileSync(path, `${markdown}\n`)
}
