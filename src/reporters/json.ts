// The JSON report: what it contains (schema in docs/report-schema.json) and how it is written.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { REPORT_SCHEMA_VERSION } from '../constants.ts'
import type { ReportDeath, ReportStop } from '../node/watchdog.ts'
import type { BudgetMode, BudgetViolation, FileMemory, MeasureMode, ResolvedBudget, ResolvedWorkerBudget, TestMemory, Verdict } from '../types.ts'

export interface ReportTest extends Omit<TestMemory, 'kind'> {
  /** Vitest's test id: stable for the same test across runs. */
  id: string
  /** Test file path relative to the root, with `/` separators. */
  file: string
  /** Suite and test names joined with " > ". */
  name: string
  project: string
  state: 'passed' | 'failed' | 'skipped' | 'pending'
  /** Line of the test in its file, when Vitest knows it. */
  line?: number
  /** How the test compares with the committed baseline (absent when no baseline was compared). */
  baseline?: BaselineDelta
}

export interface ReportFile extends Omit<FileMemory, 'kind'> {
  file: string
  project: string
  tests: number
  /** Sum of the retained readings of the file's tests. */
  testsRetained: number
  /** How the file compares with the committed baseline (absent when no baseline was compared, or the file is new to it). */
  baseline?: BaselineDelta
}

export interface ReportWorker {
  /** `pid` or `pid/threadId`. */
  id: string
  slot: string
  pid: number
  pool: string
  files: number
  tests: number
  /** Live heap after the worker's last file minus before its first. */
  heapGrowth: number
  /** `exact` when both of those file readings were (a full GC), else `estimate` (minor GCs, neither bound). */
  heapGrowthPrecision: 'exact' | 'estimate'
  rssPeak: number
  /** `[ms since epoch, heap bytes after the test or file, 1 if read after a full GC else 0]`, in time order. */
  series: Array<[number, number, 0 | 1]>
  verdict: Verdict
  violations?: BudgetViolation[]
}

/** A test that started but never reported a result: its worker stopped while it ran. */
export interface ReportInterrupted {
  id: string
  file: string
  name: string
  project: string
  /** Present when the RSS watchdog stopped the worker: the limit, the reading, and the RSS curve up to the stop. */
  stopped?: ReportStop
  /** Present when the worker died by itself mid-test while the watchdog sampled it: its last RSS readings. */
  died?: ReportDeath
}

/** Tolerance of the baseline comparison for one metric: a change counts when it exceeds both. */
export interface BaselineMetricTolerance {
  /** Fraction of the baseline value, e.g. `0.2` for 20%. */
  relative: number
  /** Bytes. */
  absolute: number
}

export interface BaselineTolerance {
  retained: BaselineMetricTolerance
  peak: BaselineMetricTolerance
}

/** A test's or file's readings next to the baseline's (see docs/baseline.md). */
export interface BaselineDelta {
  /** `regressed`/`improved`: retained or peak moved beyond both tolerances; `same`: within them; `new`: not in the baseline. */
  status: 'same' | 'regressed' | 'improved' | 'new'
  /** The baseline's readings, bytes (absent for `new`). */
  retained?: number
  peak?: number
  /** This run minus the baseline, bytes (absent for `new`). */
  retainedDelta?: number
  peakDelta?: number
  /** One sentence per metric beyond the tolerance, e.g. `retained 1.2 MB after GC, baseline 300 kB (+900 kB, +300%)`. */
  messages?: string[]
}

/** The baseline comparison of the run (`report.baseline`). */
export interface ReportBaseline {
  /** The baseline file, relative to the root. */
  file: string
  /**
   * `compared`; `updated` (written by this run); `missing` (no file yet); `corrupt` (unreadable:
   * nothing compared, nothing written); `deferred` (a shard run: compared in the merge run).
   */
  status: 'compared' | 'updated' | 'missing' | 'corrupt' | 'deferred'
  /** What happened, in one sentence, with the fix when something is wrong. */
  message: string
  /** What a regression does (`baseline.mode`). */
  mode: BudgetMode
  /** `fail`/`warn` when a test or file regressed (or the file is corrupt) under that mode, `pass` when nothing did, `unchecked` otherwise. */
  verdict: Verdict
  tolerance: BaselineTolerance
  /** Counts; `compared`, `regressed`, `improved` include files. Present when a comparison ran. */
  summary?: { compared: number; regressed: number; improved: number; new: number; gone: number; notRun: number }
  /** Baseline tests missing from the run (their file ran without them, or the file is gone). */
  gone?: Array<{ project: string; file: string; name?: string }>
  /** What an update wrote (status `updated`). */
  update?: { added: number; changed: number; removed: number; kept: number }
}

export interface MemoryReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  tool: { name: 'vitest-memory'; version: string }
  createdAt: string
  root: string
  environment: { node: string; vitest: string; platform: string; arch: string }
  mode: MeasureMode
  pools: string[]
  /** Caveats that apply to this run, e.g. RSS being shared by the threads of a process. */
  notes: string[]
  budgets: { budget: ResolvedBudget; fileBudget: ResolvedBudget; workerBudget: ResolvedWorkerBudget; budgetMode: BudgetMode }
  summary: {
    tests: number
    measured: number
    failed: number
    warned: number
    files: number
    workers: number
    /** Run-level budget checks were skipped (a shard run: they are judged when the shards are merged). */
    runBudgetsDeferred: boolean
    harnessGcMs: number
    maxRetained: number
    maxPeakAboveStart: number
    maxRssPeak: number
  }
  tests: ReportTest[]
  files: ReportFile[]
  workers: ReportWorker[]
  /** Tests that were running when their worker stopped (crash, out of memory, process.exit). */
  interrupted: ReportInterrupted[]
  /** The committed-baseline comparison; absent with `baseline: false`. */
  baseline?: ReportBaseline
}

/** Write `data` to `file` atomically: a temporary file beside it, then a rename. */
export function writeFileAtomic(file: string, data: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw error
  }
}
