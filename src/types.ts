// Everything that crosses the process boundary lives here: the options the main process
// hands to workers (through `project.provide`) and the measurements workers hand back
// (through `task.meta.memory`). JSON-safe values only.

/** How the harness spends full garbage collections. */
export type MeasureMode = 'auto' | 'exact'

/** What happens when a budget is broken. */
export type BudgetMode = 'fail' | 'warn' | 'off'

/** Per-test (and per-file) limits in bytes. A missing key means "no limit". */
export interface ResolvedBudget {
  /** Heap retained after GC: live heap after the test minus live heap before it. */
  retained?: number
  /** Peak heap during the test, above the heap at its start. */
  peak?: number
  /** Peak RSS during the test, above the RSS at its start. */
  rss?: number
}

/** Run-level limits per worker (process or thread), judged by the reporter at the end of the run. */
export interface ResolvedWorkerBudget {
  /** Live heap growth of one worker from its first to its last exact reading. */
  heapGrowth?: number
  /** Peak RSS of one worker process. */
  rss?: number
}

export interface ResolvedOverride {
  files: string[]
  budget?: ResolvedBudget
  fileBudget?: ResolvedBudget
  budgetMode?: BudgetMode
}

/** The options workers receive. Sizes are numbers of bytes. */
export interface WorkerOptions {
  mode: MeasureMode
  budget: ResolvedBudget
  fileBudget: ResolvedBudget
  budgetMode: BudgetMode
  overrides: ResolvedOverride[]
  /** Project root, to make file paths relative. */
  root: string
  /** The pool this project runs in (`forks`, `threads`, `vmForks`, `vmThreads`, or a custom one). */
  pool: string
  /**
   * A folder where each worker keeps a small file naming the test it is running, removed when
   * the test ends: if the worker dies, the file left behind names the test it died in.
   */
  runningDir: string
}

export type Verdict = 'pass' | 'warn' | 'fail' | 'unchecked'

/**
 * How a heap reading was obtained:
 * - `exact`: full GC before and after the test;
 * - `bounded`: full GC after the test; the reading is a lower bound and `retainedMax` an upper bound;
 * - `estimate`: minor GC before and after; the value is an upper bound when no major GC ran during the test;
 * - `shared`: a concurrent test, which shares its heap with the tests running beside it.
 */
export type Precision = 'exact' | 'bounded' | 'estimate' | 'shared'

export interface WorkerInfo {
  /** `pid` for process pools, `pid/threadId` for thread pools. */
  id: string
  /** Vitest's pool slot (VITEST_POOL_ID): stable across the files one slot runs. */
  slot: string
  pid: number
  threadId: number
  pool: string
}

export interface BudgetViolation {
  /** `heapGrowth` for worker budgets; worker `rss` is the absolute peak, test and file `rss` the peak above start. */
  metric: 'retained' | 'peak' | 'rss' | 'heapGrowth'
  limit: number
  actual: number
  message: string
}

/** What a worker measured for one test. Stored in `task.meta.memory`. */
export interface TestMemory {
  kind: 'test'
  /** Heap retained after GC, in bytes (see `precision`). */
  retained: number
  /** Upper bound for `retained` when `precision` is `bounded`. */
  retainedMax?: number
  precision: Precision
  heapBefore: number
  heapAfter: number
  /** Highest V8 heap use during the test (exact for the V8 heap, see README). */
  peakHeap: number
  rssBefore: number
  rssAfter: number
  /** Highest RSS during the test when it set a new process high-water mark, else the higher of before/after. */
  rssPeak: number
  externalBefore: number
  externalAfter: number
  arrayBuffersBefore: number
  arrayBuffersAfter: number
  /** GCs that ran on their own during the test, and how many of them were major. */
  gcs: number
  majorGcs: number
  /** Time the harness spent in its own GCs around this test, in ms. */
  harnessGcMs: number
  /** Test time measured by the harness, in ms: hooks, fixtures and the harness's own GCs included. */
  durationMs: number
  /** Handles (timers, sockets, ...) open after the test that were not open before it, by type. */
  handlesLeft?: Record<string, number>
  concurrent?: true
  budget: ResolvedBudget
  budgetMode: BudgetMode
  verdict: Verdict
  violations?: BudgetViolation[]
  worker: WorkerInfo
  /** Wall-clock time (ms since epoch) when the test ended, for the per-worker series. */
  at: number
}

/** What a worker measured for one test file. Stored in the file task's `meta.memory`. */
export interface FileMemory {
  kind: 'file'
  /** Live heap after the file's tests minus live heap before them (full GC at both ends). */
  retained: number
  heapBefore: number
  heapAfter: number
  peakHeap: number
  rssBefore: number
  rssAfter: number
  rssPeak: number
  externalBefore: number
  externalAfter: number
  harnessGcMs: number
  fullGcs: number
  budget: ResolvedBudget
  budgetMode: BudgetMode
  verdict: Verdict
  violations?: BudgetViolation[]
  worker: WorkerInfo
  startedAt: number
  at: number
}

export const PROVIDE_KEY = 'vitest-memory:options'

declare module 'vitest' {
  interface TaskMeta {
    memory?: TestMemory | FileMemory
  }
  interface ProvidedContext {
    'vitest-memory:options': WorkerOptions
  }
}
