// The committed baseline: what each test retained and peaked at when its numbers were last
// accepted, and the comparison of a run (or of any report) with it. Main process only.
//
// The file is written for code review: keys sorted, one line per test, and an update rewrites
// only the tests that moved beyond the tolerance, so one changed test is a one-line diff.
import { existsSync, readFileSync } from 'node:fs'
import type { BaselineDelta, BaselineMetricTolerance, BaselineTolerance, MemoryReport, ReportBaseline } from '../reporters/json.ts'
import { byCodeUnit, byText } from '../shared/order.ts'
import { formatBytes, formatDelta } from '../shared/size.ts'

export const BASELINE_SCHEMA_VERSION = 1

/** One test's (or file's) accepted readings, in bytes. */
export interface BaselineEntry {
  /** Heap retained after GC. */
  retained: number
  /** Peak heap above the heap at the start. */
  peak: number
}

/** The baseline file, as read and written. */
export interface Baseline {
  schemaVersion: typeof BASELINE_SCHEMA_VERSION
  /** project name (`""` for a single unnamed project) → test file (relative to the root) → full test name → readings. */
  tests: Record<string, Record<string, Record<string, BaselineEntry>>>
  /** project → test file → the file's readings (full GC at both ends: exact). */
  files: Record<string, Record<string, BaselineEntry>>
}

export type { BaselineTolerance, BaselineMetricTolerance }

/** How to update the baseline file: not at all, only the tests that moved beyond the tolerance (and new and gone ones), or every value. */
export type BaselineUpdate = false | 'changed' | 'all'

/** An entry of the baseline that the compared run does not have. */
export interface GoneEntry {
  project: string
  file: string
  /** Absent for a file entry whose whole file is gone. */
  name?: string
}

export interface Comparison {
  /** Keyed by `key(project, file, name)`. */
  tests: Map<string, BaselineDelta>
  /** Keyed by `key(project, file)`. */
  files: Map<string, BaselineDelta>
  /** Baseline tests (and files) missing from the run: their file ran without them, or the file no longer exists. */
  gone: GoneEntry[]
  /** Baseline tests whose file did not run in this run and still exists (a filtered run): neither compared nor gone. */
  notRun: number
  /** `compared`, `regressed` and `improved` count tests and files together; `new`, `gone` and `notRun` count tests. */
  summary: { compared: number; regressed: number; improved: number; new: number; gone: number; notRun: number }
}

export const UPDATE_ENV = 'VITEST_MEMORY_UPDATE_BASELINE'
export const UPDATE_COMMAND = `${UPDATE_ENV}=1 vitest run`

/** A key for maps of tests (with a name) or files (without). */
export function key(project: string, file: string, name?: string): string {
  return name === undefined ? `${project}\0${file}` : `${project}\0${file}\0${name}`
}

/**
 * A record keyed by names users choose (projects, files, test names). It has no prototype, so a
 * test named `constructor`, `toString` or `__proto__` is a key like any other.
 */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

/** `record[name]` when the record has that key of its own: never a property of `Object.prototype`. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined
}

/** The record under `name`, created (without a prototype) when missing. */
function child<T>(record: Record<string, Record<string, T>>, name: string): Record<string, T> {
  let found = own(record, name)
  if (found === undefined) record[name] = found = dict<T>()
  return found
}

/** A baseline's tests of one file, keyed by name (see `own`). */
export function testsOf(baseline: Baseline, project: string, file: string): Record<string, BaselineEntry> | undefined {
  return own(own(baseline.tests, project), file)
}

/** A baseline's entry of one test. */
export function testEntry(baseline: Baseline, project: string, file: string, name: string): BaselineEntry | undefined {
  return own(testsOf(baseline, project, file), name)
}

/** A baseline's entry of one whole file. */
export function fileEntry(baseline: Baseline, project: string, file: string): BaselineEntry | undefined {
  return own(own(baseline.files, project), file)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export type ReadResult =
  | { status: 'ok'; baseline: Baseline }
  | { status: 'missing'; message: string }
  | { status: 'corrupt'; message: string }

/** Read and check a baseline file. Never throws: a missing or broken file is a result with a message saying how to fix it. */
export function readBaseline(path: string, shownAs = path): ReadResult {
  if (!existsSync(path)) {
    return { status: 'missing', message: `no baseline at ${shownAs} yet: nothing to compare with. Write one with ${UPDATE_COMMAND} and commit it.` }
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return { status: 'corrupt', message: `cannot read the baseline ${shownAs}: ${(error as Error).message}` }
  }
  const fix = `Fix it, or write it again with ${UPDATE_COMMAND} (the file is only ever written by that command).`
  if (/^(<{7}|>{7}|={7})( |$)/m.test(text)) {
    return { status: 'corrupt', message: `the baseline ${shownAs} contains git merge conflict markers. Resolve the conflict (keep either side), or write it again with ${UPDATE_COMMAND}.` }
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    return { status: 'corrupt', message: `the baseline ${shownAs} is not valid JSON (${(error as Error).message}). ${fix}` }
  }
  const problem = checkBaseline(data)
  if (problem) return { status: 'corrupt', message: `the baseline ${shownAs} is not a vitest-memory baseline: ${problem}. ${fix}` }
  return { status: 'ok', baseline: data as Baseline }
}

function checkEntry(value: unknown, where: string): string | undefined {
  if (!isPlainObject(value)) return `${where} must be an object like { "retained": 1200, "peak": 5400 }`
  for (const metric of ['retained', 'peak'] as const) {
    if (typeof value[metric] !== 'number' || !Number.isFinite(value[metric])) return `${where}.${metric} must be a number of bytes, got ${JSON.stringify(value[metric])}`
  }
  return undefined
}

/** What is wrong with a parsed baseline file, or undefined when it is fine. */
export function checkBaseline(data: unknown): string | undefined {
  if (!isPlainObject(data)) return 'it must be a JSON object'
  if (Array.isArray(data.tests) && isPlainObject(data.summary)) return 'it is a vitest-memory report; make a baseline from a report with npx vitest-memory baseline update <report.json>'
  if (data.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    return `schemaVersion must be ${BASELINE_SCHEMA_VERSION}, got ${JSON.stringify(data.schemaVersion)}`
  }
  if (!isPlainObject(data.tests)) return '"tests" must be an object (project → file → test name → readings)'
  if (!isPlainObject(data.files)) return '"files" must be an object (project → file → readings)'
  for (const [project, files] of Object.entries(data.tests)) {
    if (!isPlainObject(files)) return `tests[${JSON.stringify(project)}] must be an object of test files`
    for (const [file, tests] of Object.entries(files)) {
      if (!isPlainObject(tests)) return `tests[${JSON.stringify(project)}][${JSON.stringify(file)}] must be an object of tests`
      for (const [name, entry] of Object.entries(tests)) {
        const problem = checkEntry(entry, `tests[${JSON.stringify(project)}][${JSON.stringify(file)}][${JSON.stringify(name)}]`)
        if (problem) return problem
      }
    }
  }
  for (const [project, files] of Object.entries(data.files)) {
    if (!isPlainObject(files)) return `files[${JSON.stringify(project)}] must be an object of test files`
    for (const [file, entry] of Object.entries(files)) {
      const problem = checkEntry(entry, `files[${JSON.stringify(project)}][${JSON.stringify(file)}]`)
      if (problem) return problem
    }
  }
  return undefined
}

function entryText(e: BaselineEntry): string {
  return `{ "retained": ${Math.round(e.retained)}, "peak": ${Math.round(e.peak)} }`
}

/**
 * The file's text: sorted keys, one line per test and per file, so that a change to one test is
 * a change to one line. Keys are in code-unit order, which no version or machine changes.
 */
export function serializeBaseline(baseline: Baseline): string {
  const out: string[] = ['{', `  "schemaVersion": ${BASELINE_SCHEMA_VERSION},`]
  out.push(`  "about": ${JSON.stringify(`vitest-memory baseline: heap retained after GC and peak heap above start, in bytes, per test and per file. Compared on every run; written only by ${UPDATE_COMMAND} (or npx vitest-memory baseline update). Review changes like snapshot changes.`)},`)
  const block = (name: string, body: string[], last: boolean) => {
    out.push(body.length ? `  ${JSON.stringify(name)}: {` : `  ${JSON.stringify(name)}: {}${last ? '' : ','}`)
    if (body.length) out.push(...body, `  }${last ? '' : ','}`)
  }
  const tests: string[] = []
  const projects = Object.keys(baseline.tests).sort(byCodeUnit).filter((p) => Object.keys(baseline.tests[p]!).length > 0)
  projects.forEach((project, pi) => {
    const files = Object.keys(baseline.tests[project]!).sort(byCodeUnit)
    tests.push(`    ${JSON.stringify(project)}: {`)
    files.forEach((file, fi) => {
      const entries = baseline.tests[project]![file]!
      const names = Object.keys(entries).sort(byCodeUnit)
      tests.push(`      ${JSON.stringify(file)}: {`)
      names.forEach((name, ni) => tests.push(`        ${JSON.stringify(name)}: ${entryText(entries[name]!)}${ni < names.length - 1 ? ',' : ''}`))
      tests.push(`      }${fi < files.length - 1 ? ',' : ''}`)
    })
    tests.push(`    }${pi < projects.length - 1 ? ',' : ''}`)
  })
  block('tests', tests, false)
  const files: string[] = []
  const fileProjects = Object.keys(baseline.files).sort(byCodeUnit).filter((p) => Object.keys(baseline.files[p]!).length > 0)
  fileProjects.forEach((project, pi) => {
    const names = Object.keys(baseline.files[project]!).sort(byCodeUnit)
    files.push(`    ${JSON.stringify(project)}: {`)
    names.forEach((file, fi) => files.push(`      ${JSON.stringify(file)}: ${entryText(baseline.files[project]![file]!)}${fi < names.length - 1 ? ',' : ''}`))
    files.push(`    }${pi < fileProjects.length - 1 ? ',' : ''}`)
  })
  block('files', files, true)
  out.push('}')
  return `${out.join('\n')}\n`
}

export function emptyBaseline(): Baseline {
  return { schemaVersion: BASELINE_SCHEMA_VERSION, tests: dict(), files: dict() }
}

/**
 * The baseline a report would write: every measured test (concurrent tests share their heap and
 * are left out) and every file. Two tests with the same full name in one file get ` #2`, ` #3`...
 */
export function baselineFromReport(report: Pick<MemoryReport, 'tests' | 'files'>): Baseline {
  const baseline = emptyBaseline()
  for (const t of report.tests) {
    if (t.precision === 'shared') continue
    const tests = child(child(baseline.tests, t.project), t.file)
    tests[uniqueName(tests, t.name)] = { retained: Math.round(t.retained), peak: Math.round(t.peakHeap - t.heapBefore) }
  }
  for (const f of report.files) {
    child(baseline.files, f.project)[f.file] = { retained: Math.round(f.retained), peak: Math.round(f.peakHeap - f.heapBefore) }
  }
  return baseline
}

function uniqueName(taken: Readonly<Record<string, unknown>> | ReadonlySet<string>, name: string): string {
  const has = taken instanceof Set ? (k: string) => taken.has(k) : (k: string) => Object.hasOwn(taken, k)
  if (!has(name)) return name
  let n = 2
  while (has(`${name} #${n}`)) n++
  return `${name} #${n}`
}

/** The names a report's tests have in a baseline (see `baselineFromReport`), in report order. */
export function baselineNames(report: Pick<MemoryReport, 'tests'>): string[] {
  const nameOf = baselineNamer()
  return report.tests.map((t) => (t.precision === 'shared' ? t.name : nameOf(t.project, t.file, t.name)))
}

/** Gives measured tests, in report order, their names in a baseline: the second `x` of a file is `x #2`. */
export function baselineNamer(): (project: string, file: string, name: string) => string {
  const taken = new Map<string, Set<string>>()
  return (project, file, name) => {
    const k = key(project, file)
    let names = taken.get(k)
    if (!names) taken.set(k, (names = new Set()))
    const unique = uniqueName(names, name)
    names.add(unique)
    return unique
  }
}

const LABELS = {
  retained: { noun: 'retained', suffix: ' after GC' },
  peak: { noun: 'peak heap', suffix: ' above start' },
} as const

/**
 * Compare one reading with its baseline. A metric regressed when it grew by more than the absolute
 * tolerance AND more than the relative tolerance of the baseline value; improvements mirror that.
 * Negative retained values (the test freed memory it did not allocate) count as 0.
 */
export function compareEntry(current: BaselineEntry, base: BaselineEntry, tolerance: BaselineTolerance): BaselineDelta {
  // Whole bytes: a hand-edited baseline may hold fractions.
  const delta: BaselineDelta = {
    status: 'same',
    retained: Math.round(base.retained),
    peak: Math.round(base.peak),
    retainedDelta: Math.round(current.retained - base.retained),
    peakDelta: Math.round(current.peak - base.peak),
  }
  const messages: string[] = []
  let regressed = false
  let improved = false
  for (const metric of ['retained', 'peak'] as const) {
    const now = Math.max(0, current[metric])
    const was = Math.max(0, base[metric])
    const change = now - was
    const tol = tolerance[metric]
    const beyond = Math.abs(change) > tol.absolute && Math.abs(change) > tol.relative * was
    if (!beyond) continue
    if (change > 0) regressed = true
    else improved = true
    const pct = was > 0 ? `, ${change > 0 ? '+' : ''}${Math.round((change / was) * 100)}%` : ''
    messages.push(`${LABELS[metric].noun} ${formatBytes(now)}${LABELS[metric].suffix}, baseline ${formatBytes(was)} (${formatDelta(change)}${pct})`)
  }
  delta.status = regressed ? 'regressed' : improved ? 'improved' : 'same'
  if (messages.length) delta.messages = messages
  return delta
}

export interface CompareOptions {
  /**
   * Whether a baseline file that did not run is gone (deleted) rather than filtered out of this
   * run. Default: every file missing from the run is gone (comparing two complete reports).
   */
  isGone?: (project: string, file: string) => boolean
}

/** Compare `head` (a run) with `base` (the baseline). */
export function compareBaselines(base: Baseline, head: Baseline, tolerance: BaselineTolerance, options: CompareOptions = {}): Comparison {
  const isGone = options.isGone ?? (() => true)
  const result: Comparison = {
    tests: new Map(),
    files: new Map(),
    gone: [],
    notRun: 0,
    summary: { compared: 0, regressed: 0, improved: 0, new: 0, gone: 0, notRun: 0 },
  }
  const count = (d: BaselineDelta) => {
    if (d.status === 'new') result.summary.new++
    else {
      result.summary.compared++
      if (d.status === 'regressed') result.summary.regressed++
      if (d.status === 'improved') result.summary.improved++
    }
  }
  for (const [project, files] of Object.entries(head.tests)) {
    for (const [file, tests] of Object.entries(files)) {
      const was = testsOf(base, project, file)
      for (const [name, entry] of Object.entries(tests)) {
        const old = own(was, name)
        const d: BaselineDelta = old ? compareEntry(entry, old, tolerance) : { status: 'new' }
        result.tests.set(key(project, file, name), d)
        count(d)
      }
    }
  }
  for (const [project, files] of Object.entries(head.files)) {
    for (const [file, entry] of Object.entries(files)) {
      const old = fileEntry(base, project, file)
      if (!old) continue
      const d = compareEntry(entry, old, tolerance)
      result.files.set(key(project, file), d)
      count(d)
    }
  }
  for (const [project, files] of Object.entries(base.tests)) {
    for (const [file, tests] of Object.entries(files)) {
      const ran = testsOf(head, project, file) !== undefined || fileEntry(head, project, file) !== undefined
      for (const name of Object.keys(tests)) {
        if (testEntry(head, project, file, name)) continue
        if (ran || isGone(project, file)) result.gone.push({ project, file, name })
        else result.notRun++
      }
    }
  }
  for (const [project, files] of Object.entries(base.files)) {
    for (const file of Object.keys(files)) {
      const ran = fileEntry(head, project, file) !== undefined || testsOf(head, project, file) !== undefined
      if (!ran && isGone(project, file) && !testsOf(base, project, file)) result.gone.push({ project, file })
    }
  }
  result.gone.sort((a, b) => byText(a.project, b.project) || byText(a.file, b.file) || byText(a.name ?? '', b.name ?? ''))
  result.summary.gone = result.gone.filter((g) => g.name !== undefined).length
  result.summary.notRun = result.notRun
  return result
}

export interface UpdateOptions {
  update: Exclude<BaselineUpdate, false>
  /** Tests of files that ran but were not measured (skipped, todo, filtered by name): their baseline entries are kept. */
  unmeasured?: Set<string>
  isGone?: (project: string, file: string) => boolean
}

export interface UpdateResult {
  baseline: Baseline
  added: number
  changed: number
  removed: number
  /** Entries carried over unchanged: within tolerance, or of files that did not run. */
  kept: number
}

/**
 * The baseline after accepting `head`. With `update: 'changed'` a test keeps its old values
 * unless it moved beyond the tolerance, so re-running an update on an unchanged suite changes
 * nothing. Tests and files gone from the suite are removed; tests of files that did not run, and
 * tests that were not measured this time (`unmeasured`), keep their entries.
 */
export function updateBaseline(previous: Baseline | undefined, head: Baseline, comparison: Comparison | undefined, options: UpdateOptions): UpdateResult {
  const base = previous ?? emptyBaseline()
  const isGone = options.isGone ?? (() => true)
  const next = emptyBaseline()
  const result: UpdateResult = { baseline: next, added: 0, changed: 0, removed: 0, kept: 0 }
  const keepOld = (d: BaselineDelta | undefined) => options.update === 'changed' && d !== undefined && d.status === 'same'

  for (const [project, files] of Object.entries(head.tests)) {
    for (const [file, tests] of Object.entries(files)) {
      const target = child(child(next.tests, project), file)
      const was = testsOf(base, project, file) ?? dict<BaselineEntry>()
      for (const [name, entry] of Object.entries(tests)) {
        const old = own(was, name)
        if (old && keepOld(comparison?.tests.get(key(project, file, name)))) {
          target[name] = old
          result.kept++
        } else {
          target[name] = entry
          if (!old) result.added++
          else if (old.retained !== entry.retained || old.peak !== entry.peak) result.changed++
          else result.kept++
        }
      }
      for (const [name, entry] of Object.entries(was)) {
        if (Object.hasOwn(target, name)) continue
        if (options.unmeasured?.has(key(project, file, name))) {
          target[name] = entry
          result.kept++
        } else {
          result.removed++
        }
      }
    }
  }
  for (const [project, files] of Object.entries(base.tests)) {
    for (const [file, tests] of Object.entries(files)) {
      if (testsOf(head, project, file) !== undefined) continue
      const ran = fileEntry(head, project, file) !== undefined
      const n = Object.keys(tests).length
      if (!ran && !isGone(project, file)) {
        child(next.tests, project)[file] = Object.assign(dict<BaselineEntry>(), tests)
        result.kept += n
      } else if (ran) {
        // The file ran but measured none of its tests (all skipped, or all concurrent): keep the unmeasured ones.
        const kept = dict<BaselineEntry>()
        for (const [name, entry] of Object.entries(tests)) if (options.unmeasured?.has(key(project, file, name))) kept[name] = entry
        if (Object.keys(kept).length) child(next.tests, project)[file] = kept
        result.kept += Object.keys(kept).length
        result.removed += n - Object.keys(kept).length
      } else {
        result.removed += n
      }
    }
  }
  for (const [project, files] of Object.entries(head.files)) {
    for (const [file, entry] of Object.entries(files)) {
      const old = fileEntry(base, project, file)
      child(next.files, project)[file] = old && keepOld(comparison?.files.get(key(project, file))) ? old : entry
    }
  }
  for (const [project, files] of Object.entries(base.files)) {
    for (const [file, entry] of Object.entries(files)) {
      if (fileEntry(head, project, file) !== undefined) continue
      if (testsOf(head, project, file) !== undefined || !isGone(project, file)) child(next.files, project)[file] = entry
    }
  }
  return result
}

/** Copy a comparison's deltas onto the report's tests and files, and fill in `report.baseline`. */
export function annotateReport(report: MemoryReport, comparison: Comparison): void {
  const names = baselineNames(report)
  report.tests.forEach((t, i) => {
    if (t.precision === 'shared') return
    const d = comparison.tests.get(key(t.project, t.file, names[i]!))
    if (d) t.baseline = d
  })
  for (const f of report.files) {
    const d = comparison.files.get(key(f.project, f.file))
    if (d) f.baseline = d
  }
}

/** One line per test that moved, for the terminal and the CLI: `file > name: message; message`. */
export function describeChanges(report: MemoryReport, status: 'regressed' | 'improved'): string[] {
  const lines: string[] = []
  for (const t of report.tests) if (t.baseline?.status === status) lines.push(`${t.project ? `[${t.project}] ` : ''}${t.file} > ${t.name}: ${t.baseline.messages?.join('; ')}`)
  for (const f of report.files) if (f.baseline?.status === status) lines.push(`${f.project ? `[${f.project}] ` : ''}${f.file} (whole file): ${f.baseline.messages?.join('; ')}`)
  return lines
}

export type { ReportBaseline }
