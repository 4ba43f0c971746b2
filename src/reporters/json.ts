// The JSON report: what it contains (schema in docs/report-schema.json) and how it is written.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { REPORT_SCHEMA_VERSION } from '../constants.ts'
import type { ReportStop } from '../node/watchdog.ts'
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
}

export interface ReportFile extends Omit<FileMemory, 'kind'> {
  file: string
  project: string
  tests: number
  /** Sum of the retained readings of the file's tests. */
  testsRetained: number
}

export interface ReportWorker {
  /** `pid` or `pid/threadId`. */
  id: string
  slot: string
  pid: number
  pool: string
  files: number
  tests: number
  /** Live heap after the worker's last file minus before its first (exact readings). */
  heapGrowth: number
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
