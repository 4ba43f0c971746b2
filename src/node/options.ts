import { inspect } from 'node:util'
import {
  DEFAULT_BUDGET_MODE, DEFAULT_DIAGNOSE, DEFAULT_MODE, DEFAULT_WATCHDOG_INTERVAL, DEFAULT_WATCHDOG_RSS, MIN_WATCHDOG_RSS, DEFAULT_OUTPUT_FILE, DEFAULT_REPEAT_RUNS, DEFAULT_REPEAT_SENSITIVITY, DEFAULT_REPEAT_WARMUP, DEFAULT_TERMINAL, DEFAULT_TOP,
} from '../constants.ts'
import { distance } from '../shared/distance.ts'
import { parseSize, type Size } from '../shared/size.ts'
import { globProblem } from './globs.ts'
import { machineMemory, type ResolvedWatchdog } from './watchdog.ts'
import { REPORT_OPTION_KEYS, resolveReportOptions, type ReportOptionsInput, type ResolvedReportOptions } from './report-options.ts'
import type {
  BudgetMode, DiagnoseMode, MeasureMode, ResolvedBudget, ResolvedOverride, ResolvedRepeat, ResolvedWorkerBudget,
} from '../types.ts'

/** Per-test or per-file limits. Sizes are bytes or strings like `"512 KB"`, `"1.5 MB"`, `"2 GiB"`. */
export interface BudgetInput {
  /** Heap retained after GC (live heap after minus live heap before). */
  retained?: Size
  /** Peak heap above the heap at the start. */
  peak?: Size
  /** Peak RSS above the RSS at the start (process-wide: shared by all threads of a thread pool). */
  rss?: Size
  /** External memory (Buffers, ArrayBuffers, addons that report it) after GC, minus before: native growth the heap does not show. */
  external?: Size
  /** How many handles (timers, sockets, servers, registered resources) may be left open: a count, not a size. Opt-in: `0` fails any test that leaves one. */
  handles?: number
}

/** Limits for one worker over the whole run, judged when the run ends. */
export interface WorkerBudgetInput {
  /** Live heap growth from the worker's first to its last exact reading (MEM-001: "< 2 GB"). */
  heapGrowth?: Size
  /** Peak RSS of the worker process. */
  rss?: Size
}

export interface OverrideInput {
  /** Glob(s) matched against test file paths relative to the project root, e.g. `"test/db/**"`. */
  files: string | string[]
  budget?: BudgetInput
  fileBudget?: BudgetInput
  budgetMode?: BudgetMode
}

/** Run tests several times to tell leaks from one-time growth. */
export interface RepeatInput {
  /** Glob(s) of test files whose tests all run repeatedly. `VITEST_MEMORY_REPEAT=all` repeats every test. @default [] */
  files?: string | string[]
  /** Counted runs, after the warm-up. @default 5 */
  runs?: number
  /** Warm-up runs, not counted: first-run growth (compiled code, lazy singletons) happens here. @default 1 */
  warmup?: number
  /** Growth per run below which a run does not count as growing. @default '1.8 KB' */
  sensitivity?: Size
  /** Keep the before/after `.heapsnapshot` files of leaking tests (`VITEST_MEMORY_SNAPSHOTS=1`). @default false */
  snapshots?: boolean
}

/** The RSS watchdog (see `MemoryOptions.watchdog`). */
export interface WatchdogInput {
  /**
   * Hard limit for one worker process's RSS: a size (`'4 GB'`), or a share of the machine's memory
   * (`'50%'`; in a container with a memory limit, of that limit). In thread pools every thread lives
   * in the Vitest process, so the limit applies to that whole process.
   * @default '50%'
   */
  rss?: Size
  /** How often every worker is sampled, in ms (10 to 60000). @default 100 */
  interval?: number
}

/** Baseline, HTML report, Markdown summary and GitHub Actions options are documented in report-options.ts. */
export interface MemoryOptions extends ReportOptionsInput {
  /**
   * `auto`: minor GC around each test, full GC only where a reading comes near its budget
   * (see README). `exact`: full GC before and after every test.
   * @default 'auto'
   */
  mode?: MeasureMode
  /** Per-test limits. @default {} (measure only) */
  budget?: BudgetInput
  /** Per-file limits (all tests and hooks of one file). @default {} */
  fileBudget?: BudgetInput
  /** Per-worker limits over the whole run. @default {} */
  workerBudget?: WorkerBudgetInput
  /**
   * What a broken budget does: `fail` the test (or the run), `warn` in the report only, or `off`.
   * @default 'fail'
   */
  budgetMode?: BudgetMode
  /** Budgets for files matching globs; later entries win, key by key. @default [] */
  overrides?: OverrideInput[]
  /** Where the JSON report goes, relative to the root; `false` to write none. @default '.vitest-memory/report.json' */
  outputFile?: string | false
  /** How many of the heaviest tests the terminal summary lists. @default 5 */
  top?: number
  /** Terminal summary: `auto` (one line when all is well), `full`, or `off`. @default 'auto' */
  terminal?: 'auto' | 'full' | 'off'
  /**
   * Hard RSS limit per worker, checked from the main process about every 100 ms: a worker over it
   * is stopped before the machine runs out of memory, and the report names the test it was running.
   * `true` for the defaults, `false` to turn it off. See README, "Watchdog".
   * @default { rss: '50%', interval: 100 } (half the machine's memory, or of the container's limit)
   */
  watchdog?: boolean | WatchdogInput
  /** Repetition: which tests run several times, and how a leak is decided. See README. */
  repeat?: RepeatInput
  /**
   * Allocation sites and retainer paths: for `flagged` tests (failing or warning on retained memory,
   * or leaking under repetition), `all` measured tests, or none (`false`). `VITEST_MEMORY_DIAGNOSE=
   * flagged|all|off` overrides it. See README, "Where it was allocated".
   * @default 'flagged'
   */
  diagnose?: DiagnoseMode
}

export interface ResolvedMemoryOptions extends ResolvedReportOptions {
  mode: MeasureMode
  budget: ResolvedBudget
  fileBudget: ResolvedBudget
  workerBudget: ResolvedWorkerBudget
  budgetMode: BudgetMode
  overrides: ResolvedOverride[]
  outputFile: string | false
  top: number
  terminal: 'auto' | 'full' | 'off'
  /** `false` when turned off. */
  watchdog: ResolvedWatchdog | false
  repeat: Omit<ResolvedRepeat, 'ids' | 'snapshotDir'> & {
    /** `VITEST_MEMORY_REPEAT=flagged`: repeat the tests the last report flagged. */
    flagged: boolean
  }
  diagnose: DiagnoseMode
}

/**
 * Invalid plugin options. The message lists every problem with its fix. It is thrown while Vite
 * loads the config, and Vitest prints it with its stack: frames of `memory()` and of Vite's config
 * loader, which say nothing about the mistake (Vite names the config file just before). The stack
 * is the message alone, as for budget errors, and `console.error` (Vitest's Startup Error) prints
 * just that, without the brackets Node puts around an error with no frames.
 */
export class MemoryOptionsError extends Error {
  override name = 'MemoryOptionsError'
  constructor(message: string) {
    super(message)
    this.stack = `${this.name}: ${message}`
  }
  [inspect.custom](): string {
    return this.stack!
  }
}

const TOP_KEYS = ['mode', 'budget', 'fileBudget', 'workerBudget', 'budgetMode', 'overrides', 'outputFile', 'top', 'terminal', 'repeat', 'watchdog', 'diagnose', ...REPORT_OPTION_KEYS] as const
const REPEAT_KEYS = ['files', 'runs', 'warmup', 'sensitivity', 'snapshots'] as const
const BUDGET_KEYS = ['retained', 'peak', 'rss', 'external', 'handles'] as const
const BUDGET_SIZE_KEYS = ['retained', 'peak', 'rss', 'external'] as const
const WORKER_BUDGET_KEYS = ['heapGrowth', 'rss'] as const
const OVERRIDE_KEYS = ['files', 'budget', 'fileBudget', 'budgetMode'] as const

class Problems {
  list: string[] = []
  add(message: string): void {
    this.list.push(message)
  }
  /** Run `fn`, turning a thrown error into a problem. */
  try<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (error) {
      this.add((error as Error).message)
      return undefined
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], where: string, problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const guess = known.find((k) => distance(k, key) <= 2)
    problems.add(`${where}${key} is not an option${guess ? `: did you mean ${where}${guess}?` : `. Known options: ${known.join(', ')}.`}`)
  }
}

function checkGlobs(globs: readonly string[], name: string, problems: Problems): void {
  for (const glob of globs) {
    const problem = globProblem(glob)
    if (problem) problems.add(`${name}: '${glob}' is not a glob picomatch can read (${problem}). Test files are matched with globs like 'test/db/**' or 'src/**/*.test.ts'.`)
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T, problems: Problems): T {
  if (value === undefined) return fallback
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  problems.add(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`)
  return fallback
}

function resolveSizes<K extends string>(value: unknown, keys: readonly K[], name: string, problems: Problems, checkUnknown = true): Partial<Record<K, number>> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) {
    problems.add(`${name} must be an object like { ${keys[0]}: '1 MB' }, got ${JSON.stringify(value)}`)
    return {}
  }
  if (checkUnknown) checkKeys(value, keys, `${name}.`, problems)
  const out: Partial<Record<K, number>> = {}
  for (const key of keys) {
    if (value[key] === undefined) continue
    const parsed = problems.try(() => parseSize(value[key], `${name}.${key}`))
    if (parsed !== undefined) out[key] = parsed
  }
  return out
}

function resolveBudget(value: unknown, name: string, problems: Problems): ResolvedBudget {
  if (value !== undefined && !isPlainObject(value)) {
    problems.add(`${name} must be an object like { retained: '1 MB' }, got ${JSON.stringify(value)}`)
    return {}
  }
  const { handles, ...sizes } = value ?? {}
  checkKeys(value ?? {}, BUDGET_KEYS, `${name}.`, problems)
  const budget: ResolvedBudget = resolveSizes(sizes, BUDGET_SIZE_KEYS, name, problems, false)
  if (handles !== undefined) {
    if (typeof handles === 'number' && Number.isInteger(handles) && handles >= 0) budget.handles = handles
    else problems.add(`${name}.handles is a count of handles a test may leave open (0 or more), got ${JSON.stringify(handles)}`)
  }
  if (budget.retained !== undefined && budget.peak !== undefined && budget.retained > budget.peak) {
    problems.add(`${name}.retained is larger than ${name}.peak: what a test retains is part of its peak, so the retained limit could never be reached. Lower ${name}.retained or raise ${name}.peak.`)
  }
  return budget
}

function wholeNumber(value: unknown, name: string, min: number, fallback: number, problems: Problems): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value
  problems.add(`${name} must be a whole number, ${min} or more, got ${JSON.stringify(value)}`)
  return fallback
}

function resolveRepeat(value: unknown, env: Record<string, string | undefined>, problems: Problems): ResolvedMemoryOptions['repeat'] {
  const input = value ?? {}
  if (!isPlainObject(input)) {
    problems.add(`repeat must be an object like { files: 'test/cache/**', runs: 5 }, got ${JSON.stringify(value)}`)
  }
  const raw = isPlainObject(input) ? input : {}
  checkKeys(raw, REPEAT_KEYS, 'repeat.', problems)
  const files = typeof raw.files === 'string' ? [raw.files] : raw.files ?? []
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && f.length > 0)) {
    problems.add(`repeat.files must be a glob or a list of globs relative to the project root, e.g. 'test/cache/**'`)
  } else {
    checkGlobs(files as string[], 'repeat.files', problems)
  }
  if (raw.snapshots !== undefined && typeof raw.snapshots !== 'boolean') problems.add(`repeat.snapshots must be true or false, got ${JSON.stringify(raw.snapshots)}`)
  const mode = env.VITEST_MEMORY_REPEAT ?? ''
  if (!['', 'all', 'flagged', 'off'].includes(mode)) {
    problems.add(`VITEST_MEMORY_REPEAT (environment) must be 'all', 'flagged' or 'off', got ${JSON.stringify(mode)}`)
  }
  return {
    all: mode === 'all',
    flagged: mode === 'flagged',
    files: mode === 'off' || !Array.isArray(files) ? [] : (files as string[]),
    runs: wholeNumber(raw.runs, 'repeat.runs', 1, DEFAULT_REPEAT_RUNS, problems),
    warmup: wholeNumber(raw.warmup, 'repeat.warmup', 0, DEFAULT_REPEAT_WARMUP, problems),
    sensitivity: raw.sensitivity === undefined ? DEFAULT_REPEAT_SENSITIVITY : (problems.try(() => parseSize(raw.sensitivity, 'repeat.sensitivity')) ?? DEFAULT_REPEAT_SENSITIVITY),
    snapshots: raw.snapshots === true || env.VITEST_MEMORY_SNAPSHOTS === '1',
  }
}

const WATCHDOG_KEYS = ['rss', 'interval'] as const

function resolveWatchdog(value: unknown, problems: Problems, memory: number): ResolvedWatchdog | false {
  if (value === false) return false
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    problems.add(`watchdog must be true, false or an object like { rss: '4 GB' }, got ${JSON.stringify(value)}`)
    return false
  }
  const raw = isPlainObject(value) ? value : {}
  checkKeys(raw, WATCHDOG_KEYS, 'watchdog.', problems)
  let rss: number | undefined
  const share = typeof raw.rss === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw.rss) : null
  if (raw.rss === undefined) {
    rss = Math.round(memory * DEFAULT_WATCHDOG_RSS)
    // A machine this small gives the default nothing sound to stop at: off, unless asked for.
    if (rss < MIN_WATCHDOG_RSS) return false
  } else if (share) {
    const percent = Number(share[1])
    if (percent > 0 && percent <= 100) rss = Math.round((memory * percent) / 100)
    else problems.add(`watchdog.rss: ${JSON.stringify(raw.rss)} must be a share of the machine's memory between 0% and 100%, e.g. '50%'`)
  } else {
    rss = problems.try(() => parseSize(raw.rss, 'watchdog.rss'))
  }
  if (rss !== undefined && rss < MIN_WATCHDOG_RSS) {
    problems.add(`watchdog.rss: ${JSON.stringify(raw.rss)} is ${rss} bytes, below what an idle Vitest worker already uses: every worker would be stopped at once. Use at least 100 MB, or watchdog: false to turn the watchdog off.`)
  }
  let interval = DEFAULT_WATCHDOG_INTERVAL
  if (raw.interval !== undefined) {
    if (typeof raw.interval === 'number' && Number.isFinite(raw.interval) && raw.interval >= 10 && raw.interval <= 60_000) interval = Math.round(raw.interval)
    else problems.add(`watchdog.interval must be a number of milliseconds between 10 and 60000, got ${JSON.stringify(raw.interval)}`)
  }
  return { rss: rss ?? 0, interval }
}

function resolveDiagnose(value: unknown, env: Record<string, string | undefined>, problems: Problems): DiagnoseMode {
  const fromEnv = env.VITEST_MEMORY_DIAGNOSE
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv === 'off' || fromEnv === 'false') return false
    if (fromEnv === 'flagged' || fromEnv === 'all') return fromEnv
    problems.add(`VITEST_MEMORY_DIAGNOSE (environment) must be 'flagged', 'all' or 'off', got ${JSON.stringify(fromEnv)}`)
    return DEFAULT_DIAGNOSE
  }
  if (value === undefined) return DEFAULT_DIAGNOSE
  if (value === false || value === 'flagged' || value === 'all') return value
  problems.add(`diagnose must be 'flagged' (allocation sites and retainer paths for flagged tests), 'all' (every measured test) or false (none), got ${JSON.stringify(value)}`)
  return DEFAULT_DIAGNOSE
}

/**
 * Validate and fill in defaults. Throws one `MemoryOptionsError` listing every problem.
 * `VITEST_MEMORY_MODE=exact|auto` in the environment overrides `mode` (handy for one CI job).
 */
export function resolveOptions(input: unknown = {}, env: Record<string, string | undefined> = process.env, memory: number = machineMemory()): ResolvedMemoryOptions {
  const problems = new Problems()
  if (!isPlainObject(input)) {
    throw new MemoryOptionsError(`vitest-memory: options must be an object, got ${JSON.stringify(input)}. Example: memory({ budget: { retained: '1 MB' } })`)
  }
  checkKeys(input, TOP_KEYS, '', problems)

  const budgetMode = oneOf(input.budgetMode, ['fail', 'warn', 'off'] as const, 'budgetMode', DEFAULT_BUDGET_MODE, problems)
  const overrides: ResolvedOverride[] = []
  if (input.overrides !== undefined && !Array.isArray(input.overrides)) {
    problems.add(`overrides must be an array like [{ files: 'test/db/**', budget: { retained: '5 MB' } }]`)
  }
  for (const [i, raw] of (Array.isArray(input.overrides) ? input.overrides : []).entries()) {
    const name = `overrides[${i}]`
    if (!isPlainObject(raw)) {
      problems.add(`${name} must be an object like { files: 'test/db/**', budget: { retained: '5 MB' } }`)
      continue
    }
    checkKeys(raw, OVERRIDE_KEYS, `${name}.`, problems)
    const files = typeof raw.files === 'string' ? [raw.files] : raw.files
    if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string' && f.length > 0)) {
      problems.add(`${name}.files must be a glob or a non-empty list of globs relative to the project root, e.g. 'test/db/**'`)
      continue
    }
    checkGlobs(files as string[], `${name}.files`, problems)
    if (raw.budget === undefined && raw.fileBudget === undefined && raw.budgetMode === undefined) {
      problems.add(`${name} sets nothing for ${files.join(', ')}: add budget, fileBudget or budgetMode, or remove it`)
    }
    const override: ResolvedOverride = { files: files as string[] }
    if (raw.budget !== undefined) override.budget = resolveBudget(raw.budget, `${name}.budget`, problems)
    if (raw.fileBudget !== undefined) override.fileBudget = resolveBudget(raw.fileBudget, `${name}.fileBudget`, problems)
    if (raw.budgetMode !== undefined) override.budgetMode = oneOf(raw.budgetMode, ['fail', 'warn', 'off'] as const, `${name}.budgetMode`, budgetMode, problems)
    overrides.push(override)
  }

  let outputFile: string | false = DEFAULT_OUTPUT_FILE
  if (input.outputFile === false) outputFile = false
  else if (typeof input.outputFile === 'string' && input.outputFile.trim() !== '') outputFile = input.outputFile
  else if (input.outputFile !== undefined) problems.add(`outputFile must be a path relative to the project root (or absolute), or false to write no report; got ${JSON.stringify(input.outputFile)}`)
  if (typeof outputFile === 'string' && !outputFile.endsWith('.json')) {
    problems.add(`outputFile must end in .json, got ${JSON.stringify(outputFile)}`)
  }

  let top = DEFAULT_TOP
  if (input.top !== undefined) {
    if (typeof input.top === 'number' && Number.isInteger(input.top) && input.top >= 0) top = input.top
    else problems.add(`top must be a whole number of tests (0 or more), got ${JSON.stringify(input.top)}`)
  }

  const resolved: ResolvedMemoryOptions = {
    mode: env.VITEST_MEMORY_MODE
      ? oneOf(env.VITEST_MEMORY_MODE, ['auto', 'exact'] as const, 'VITEST_MEMORY_MODE (environment)', DEFAULT_MODE, problems)
      : oneOf(input.mode, ['auto', 'exact'] as const, 'mode', DEFAULT_MODE, problems),
    budget: resolveBudget(input.budget, 'budget', problems),
    fileBudget: resolveBudget(input.fileBudget, 'fileBudget', problems),
    workerBudget: resolveSizes(input.workerBudget, WORKER_BUDGET_KEYS, 'workerBudget', problems),
    budgetMode,
    overrides,
    outputFile,
    top,
    terminal: oneOf(input.terminal, ['auto', 'full', 'off'] as const, 'terminal', DEFAULT_TERMINAL, problems),
    watchdog: resolveWatchdog(input.watchdog, problems, memory),
    repeat: resolveRepeat(input.repeat, env, problems),
    diagnose: resolveDiagnose(input.diagnose, env, problems),
    ...resolveReportOptions(input, env, { add: (p) => problems.add(p), checkKeys: (v, known, where) => checkKeys(v, known, where, problems) }),
  }
  if (problems.list.length > 0) {
    const s = problems.list.length === 1 ? '' : 's'
    throw new MemoryOptionsError(`vitest-memory: invalid option${s}:\n${problems.list.map((p) => `  - ${p}`).join('\n')}`)
  }
  return resolved
}
