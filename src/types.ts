// Everything that crosses the process boundary lives here: the options the main process
// hands to workers (through `project.provide`) and the measurements workers hand back
// (through `task.meta.memory`). JSON-safe values only.

// Loads Vitest's types before the `declare module 'vitest'` augmentation below (tsgo can
// otherwise see the augmentation first, when an entry point reaches this file early).
/// <reference types="vitest" />

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
  /** External memory (Buffers, ArrayBuffers, addons that report it) after GC, minus before. */
  external?: number
  /** How many handles (timers, sockets, servers, registered resources) may be left open: a count. */
  handles?: number
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
  repeat: ResolvedRepeat
  /**
   * Absolute path of the project's better-sqlite3, when it has one: workers count the engines a
   * test leaves open (`handlesLeft['better-sqlite3 Database']`) without importing `vitest-memory/db`.
   */
  sqliteModule?: string
  /**
   * Full GC at each end of a file, for exact file figures: on when something judges them (exact
   * mode, a file or worker budget, a baseline). Otherwise file readings are cheap estimates.
   */
  exactFiles: boolean
  /**
   * Auto mode: also escalate a test's reading to a full GC when its cheap reading exceeds this many
   * bytes. Set to the baseline's absolute retained tolerance when a baseline is compared, so any
   * reading that could count as a regression is exact or a lower bound, never a cheap estimate.
   */
  escalateAbove?: number
  /** Which tests get allocation sites and retainer paths (README "Where it was allocated"). */
  diagnose: DiagnoseMode
}

/** `flagged`: tests that fail or warn on retained memory or leak under repetition; `all`: every measured test; `false`: none. */
export type DiagnoseMode = 'flagged' | 'all' | false

/** One place that allocated memory a test kept, in the user's source (source maps followed). */
export interface AllocationSite {
  /** Path relative to the project root (or as the runtime names it, outside it). */
  file: string
  /** 1-based line and column of the allocating function (V8 names the function, not the statement). */
  line: number
  column: number
  function: string
  /** Estimated bytes the test allocated here that were still alive at its end (sampled). */
  bytes: number
  /** Sampled allocations behind `bytes`. */
  samples: number
}

/** A holder of memory user code keeps, with the shortest path from a GC root. */
export interface RetainerPath {
  /** `module src/cache.ts > memo (Map) > value (Array)` */
  path: string
  /** Bytes reachable through the holder first (its share of the shortest-path tree). */
  bytes: number
  /** The same figure at the previous diagnosis in this worker, when the holder existed then. */
  bytesBefore?: number
}

/** Where a test's retained memory was allocated and what keeps it. */
export interface Diagnosis {
  /** Top allocation sites of what the test allocated and kept, largest first. */
  sites: AllocationSite[]
  /** Largest holders in user code, largest growth first (since the last diagnosis in the worker). */
  paths: RetainerPath[]
  /** Time the diagnosis took, in ms (heap profile, snapshot, reading). */
  ms: number
  /** Why sites or paths are missing (a failure of the diagnosis; the verdict stands). */
  skipped?: string
}

/** Which tests run several times to tell leaks from one-time growth, and how. */
export interface ResolvedRepeat {
  /** Repeat every test (`VITEST_MEMORY_REPEAT=all`). */
  all: boolean
  /** Globs of test files whose tests are repeated. */
  files: string[]
  /** Ids of tests to repeat (`VITEST_MEMORY_REPEAT=flagged`: the tests flagged in the last report). */
  ids: string[]
  /** Counted runs, after the warm-up runs. */
  runs: number
  warmup: number
  /** Growth per run, in bytes, below which a run does not count as growing. */
  sensitivity: number
  /** Keep the `.heapsnapshot` files of leaking tests (else they are summarized and removed). */
  snapshots: boolean
  /** Absolute folder for kept snapshots. */
  snapshotDir: string
}

export type RepeatVerdict = 'leak' | 'one-time' | 'clean'
/** Which memory grew: the V8 heap, external memory (Buffers, addons that report it), or RSS (native memory). */
export type LeakSignal = 'heap' | 'external' | 'rss'

/** One kind of object that grew between two heap snapshots. */
export interface GrowthEntry {
  /** Constructor name for objects, `(string)`, `(array)`, `(closure)`, `(code)`... for the rest. */
  kind: string
  count: number
  bytes: number
}

/** The outcome of running one test several times. */
export interface RepeatResult {
  /**
   * Growth per run after a full GC, warm-up runs first: heap, external (+ arrayBuffers), RSS, and
   * V8's compiled code (runs in which it changed are left out of the heap signal when enough remain).
   */
  runs: Array<{ heap: number; external: number; rss: number; code?: number }>
  warmup: number
  verdict: RepeatVerdict
  /** The memory that grew on every counted run, when `verdict` is `leak`. */
  signal?: LeakSignal
  /** Median growth per counted run of `signal` (heap when there is no leak). */
  perRun: number
  /** Object kinds that grew across the last run, from heap snapshots (leaking tests only). */
  grew?: GrowthEntry[]
  /** Paths of the kept snapshot files, relative to the root (when `repeat.snapshots` is on). */
  snapshots?: { before: string; after: string }
  /**
   * Measuring stopped before the planned runs: `certain` (every counted run grew far past any noise),
   * `pile-up` (the test's growth over its runs passed the repetition's limit).
   */
  stoppedEarly?: 'certain' | 'pile-up'
  /**
   * The verdict was too close to call on the planned runs (a small rate from unsteady runs), so the
   * test ran longer: the early runs count as warm-up (`warmup`), the last counted runs are judged.
   */
  extended?: true
  /** Why "what grew" is missing for a leak (the heap was too big to snapshot, a snapshot failed). */
  whatGrewSkipped?: string
}

/** One earlier attempt of a retried test (`retry`): the report's test entry holds the last one. */
export interface AttemptMemory {
  retained: number
  retainedMax?: number
  precision: Precision
  heapBefore: number
  heapAfter: number
  peakHeap: number
  /** Whether the attempt itself failed (its error, or its memory verdict). */
  state: 'pass' | 'fail'
  verdict: Verdict
  violations?: BudgetViolation[]
  handlesLeft?: Record<string, number>
}

export type Verdict = 'pass' | 'warn' | 'fail' | 'unchecked'

/**
 * How a heap reading was obtained:
 * - `exact`: full GC before and after the test;
 * - `bounded`: full GC after the test; the reading is a lower bound and `retainedMax` an upper bound;
 * - `estimate`: no full GC after the test (a minor GC or none; the start may have had one, see `harnessGcs`); an upper bound (no major GC ran during the test);
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
  metric: 'retained' | 'peak' | 'rss' | 'external' | 'handles' | 'heapGrowth' | 'leak'
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
  /** Earlier attempts of a retried test, first attempt first; the fields above are the last attempt's. */
  attempts?: AttemptMemory[]
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
  /** GCs the harness ran for this test's readings (minor or full): 0 for a reading taken with no GC at all. */
  harnessGcs: number
  /** Test time measured by the harness, in ms: hooks, fixtures and the harness's own GCs included. */
  durationMs: number
  /** Handles (timers, sockets, ...) open after the test that were not open before it, by type. */
  handlesLeft?: Record<string, number>
  concurrent?: true
  /** Present when the test ran several times (repetition): the per-run readings and the verdict. */
  repeat?: RepeatResult
  /** Allocation sites and retainer paths, for a flagged test (option `diagnose`). */
  diagnosis?: Diagnosis
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
  /** Live heap after the file's tests minus live heap before them (see `precision`). */
  retained: number
  /** `exact`: full GC at both ends; `estimate`: minor GC at both ends (nothing judged the file). */
  precision: 'exact' | 'estimate'
  heapBefore: number
  heapAfter: number
  peakHeap: number
  rssBefore: number
  rssAfter: number
  rssPeak: number
  externalBefore: number
  externalAfter: number
  /** Handles open after the file's tests (and its hooks) that were not open before them, by type. */
  handlesLeft?: Record<string, number>
  harnessGcMs: number
  fullGcs: number
  /** Time spent in the harness's hooks for this file (its readings, GCs and waits included), in ms. */
  harnessMs: number
  /** Median over the file's measured tests of the harness's time around each test, in us. */
  harnessTestUs?: number
  budget: ResolvedBudget
  budgetMode: BudgetMode
  verdict: Verdict
  violations?: BudgetViolation[]
  worker: WorkerInfo
  startedAt: number
  at: number
}

/** A finished test's reading as the worker keeps it on disk until the run ends (see `RunningNote.finished`). */
export interface FinishedReading {
  id: string
  /** Absolute path of the test file. */
  file: string
  name: string
  project: string
  state: 'passed' | 'failed'
  line?: number
  memory: TestMemory
}

/** Where a worker's finished readings go, beside its running note `<worker>.json`. */
export const FINISHED_SUFFIX = '.finished.jsonl'

export const PROVIDE_KEY = 'vitest-memory:options'

declare module 'vitest' {
  interface TaskMeta {
    memory?: TestMemory | FileMemory
    /**
     * Run this test several times to tell a leak from one-time growth:
     * `test('x', { meta: { memoryRepeat: true } }, fn)` or `{ memoryRepeat: { runs: 10, warmup: 2 } }`.
     */
    memoryRepeat?: boolean | { runs?: number; warmup?: number }
  }
  interface ProvidedContext {
    'vitest-memory:options': WorkerOptions
  }
}
