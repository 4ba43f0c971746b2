// Installed in every test file by the plugin's setup file (install.ts, or the virtual setup module
// where one worker runs several files). Registers the hooks that measure each test and the file,
// and writes the results into `task.meta.memory`.
//
// Per test, top to bottom (README "How it measures"):
//   beforeEach (ours runs first)     startTest: budgets, the run's kind (repetition), the running
//                                    note, the diagnosis marker (markDiagnosis), then the start
//                                    reading, last, right before the test's own hooks
//                                    (startReading; markRun for repeated runs)
//   the test's beforeEach hooks, the test, its afterEach hooks and fixture teardown
//   onTestFinished (ours)            finishTest: endReading, the TestMemory, the repetition's
//                                    outcome (finishRepeat), judging, allocation sites and retainer
//                                    paths of a flagged test (diagnose), the annotation and the error
// Nothing of another test runs between a test's two readings; whatever Vitest does for a test after
// its onTestFinished (its error, its diff, its queued update) falls before the next test's start.
import { mkdirSync, writeFileSync } from 'node:fs'
import { setMaxListeners } from 'node:events'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import {
  ESCALATE_FRACTION, FIRST_TEST_EXTRA_WARMUP, HARNESS_HOOK_TIMEOUT_MS, SNAPSHOT_HEAP_LIMIT, VITEST_UPDATE_INTERVAL_MS,
} from '../constants.ts'
import { budgetForFile, checkBudget, FILE_LABELS, glob, judge, type EffectiveBudget } from '../shared/budget.ts'
import { installTracking } from '../fixtures/tracking.ts'
import { stillAlive } from './collect.ts'
import { MemoryBudgetError, MemoryRetentionError } from '../shared/errors.ts'
import { formatBytes, formatDelta } from '../shared/size.ts'
import {
  PROVIDE_KEY, type AttemptMemory, type FileMemory, type FinishedReading, type GrowthEntry, type ResolvedBudget, type TestMemory, type WorkerInfo, type WorkerOptions,
} from '../types.ts'
import { codeBytes, heapUsed } from './gc.ts'
import { diffSnapshotFiles, takeSnapshot } from './heapdiff.ts'
import { Diagnoser } from './diagnose.ts'
import { runningNote, workerInfo, type RunningNote } from './note.ts'
import { deltasOf, leakViolation, RepeatPlan, type RunKind } from './repeat-plan.ts'
import { GcWatch, handlesLeft, read, Sampler, type GcsSeen, type Reading, type StartReading } from './sampler.ts'
import { runtimeSlot, type RuntimeSlot } from './slot.ts'
import { annotateVerdict, failureMessage, testFailureMessage, testViolations } from './verdict.ts'

type Task = {
  id: string
  name: string
  type: string
  mode?: string
  concurrent?: boolean
  repeats?: number
  meta: Record<string, unknown> & { memoryRepeat?: boolean | { runs?: number; warmup?: number }; memory?: unknown }
  result?: { state?: string; retryCount?: number }
  suite?: { name: string; suite?: unknown; type?: string }
  tasks?: Task[]
  file: { filepath: string; meta: Record<string, unknown>; projectName?: string }
  location?: { line: number }
}
type Annotate = ((message: string, type?: string) => Promise<unknown>) | undefined
type OnTestFinished = (fn: (context: { task: unknown; annotate?: Annotate }) => unknown, timeout?: number) => void

/** Suite and test names joined with " > ", as Vitest's reporters show them. */
function fullName(task: Task): string {
  const names = [task.name]
  for (let s = task.suite as { name: string; suite?: unknown } | undefined; s && (s as { type?: string }).type !== 'file' && s.name; s = s.suite as typeof s) names.unshift(s.name)
  return names.join(' > ')
}

const localRequire = createRequire(import.meta.url)

/**
 * Count the better-sqlite3 engines tests leave open (see src/fixtures/tracking.ts), once the test
 * code has loaded better-sqlite3: loading it ourselves would cost every worker a few ms. Checked
 * before each test, so a file that imports it at the top is tracked from its first test.
 * Returns whether tracking is on. Never fails a run.
 */
function trackSqliteEngines(path: string): boolean {
  const loaded = localRequire.cache[path]?.exports
  if (!loaded) return false
  try {
    installTracking(loaded as Parameters<typeof installTracking>[0])
  } catch {
    // A better-sqlite3 we cannot patch is the tests' business, not ours.
  }
  return true
}

// One sampler per worker: with `isolate: false` it carries its GC anchor from file to file.
const SAMPLER_KEY = Symbol.for('vitest-memory.sampler')
// Whether this worker has repeated a test already (the first one gets extra warm-up runs).
const REPEATED_KEY = Symbol.for('vitest-memory.repeated')

function rssPeak(before: Reading, after: Reading): number {
  // The process high-water mark moved during the test: the test set it.
  return after.maxRss > before.maxRss ? after.maxRss : Math.max(before.rss, after.rss)
}

function safeName(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').slice(0, 80)
}

const noop = () => {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Wait until Vitest has sent the task updates it queued: it sends them at most every 100 ms, and in
 * a process pool a large one (a failed test's error and diff) then waits in the IPC channel's write
 * queue until the main process reads it. Bounded: at most a second more.
 */
async function settleVitestUpdates(): Promise<void> {
  await sleep(VITEST_UPDATE_INTERVAL_MS)
  const queued = (): number => (process as { channel?: { writeQueueSize?: number } }).channel?.writeQueueSize ?? 0
  for (let i = 0; i < 100 && queued() > 0; i++) await sleep(10)
}

type SetFn = (test: unknown, fn: () => void) => void
/**
 * Vitest 4's `setFn` (from `vitest/suite`), which replaces a test's function. Its successor,
 * `TestRunner.setTestFn`, is `getFn` in Vitest 4.1 and 5.1 (a slip in Vitest), and Vitest 5 has no
 * `vitest/suite`: there the runs after a certain verdict still run the test body, unmeasured.
 * Loaded (once per worker) by files that repeat a test, before any of their own hooks run, with the
 * deprecation notice `vitest/suite` prints on import kept out of the user's output.
 */
let setTestFn: Promise<SetFn | undefined> | undefined
function loadSetFn(): Promise<SetFn | undefined> {
  if (setTestFn) return setTestFn
  const specifier = 'vitest/suite'
  const warn = console.warn
  console.warn = () => {}
  setTestFn = import(specifier).then((m: { setFn?: SetFn }) => m.setFn, () => undefined).finally(() => {
    console.warn = warn
  })
  return setTestFn
}

/** One run of one test: what the harness knows between its start reading and its end reading. */
interface TestRun {
  task: Task
  budgets: EffectiveBudget
  concurrent: boolean
  plan?: RepeatPlan
  kind?: RunKind
  index: number
  startedAt: number
  /** When the start reading was done: the harness's time before the test is `started - startedAt`. */
  started: number
  gcMsAtStart: number
  gcsAtStart: number
  before?: StartReading
  /** The test before this one failed: both readings wait for Vitest's updates about it. */
  afterFailure?: boolean
  /** GCs the start reading ran (the GC watch sees them first). */
  ownGcs?: number
}

/** The end reading of one run, with how precise it is. */
interface EndReading {
  reading: Reading
  retained: number
  retainedMax?: number
  precision: TestMemory['precision']
}

/** Register the measuring hooks for the current test file. Called once per file. */
export function install(): void {
  const options = inject(PROVIDE_KEY) as WorkerOptions | undefined
  if (!options) return
  const harness = new FileHarness(options)
  beforeAll(async ({}, suite) => harness.startFile(suite as unknown as Task), HARNESS_HOOK_TIMEOUT_MS)
  beforeEach(async ({ task, onTestFinished, signal }) => harness.startTest(task as unknown as Task, onTestFinished as unknown as OnTestFinished, signal), HARNESS_HOOK_TIMEOUT_MS)
  afterAll(async () => harness.endFile(), HARNESS_HOOK_TIMEOUT_MS)
}

/** The harness for one test file: its readings, its tests' readings, its repetition plans. */
class FileHarness {
  private readonly sampler: Sampler
  private readonly worker: WorkerInfo
  private readonly slot: RuntimeSlot
  private readonly watch = new GcWatch()
  private readonly note: RunningNote
  private readonly repeatFiles: ((path: string) => boolean) | undefined
  private readonly plans = new Map<string, RepeatPlan>()
  private sqliteTracked: boolean
  private repeatedInWorker: boolean
  private file: Task['file'] | undefined
  private effective: EffectiveBudget | undefined
  private fileStart: Reading | undefined
  private fileStartedAt = 0
  private filePeak = 0
  private fileRssPeak = 0
  private gcMsAtFileStart = 0
  private fullGcsAtFileStart = 0
  /** Time in the harness's hooks for this file, in ms, and per measured test, in us. */
  private hookMs = 0
  private testUs: number[] = []
  /** The previous test failed (its error or its memory verdict): Vitest keeps what it made for that. */
  private previousFailed = false

  constructor(private readonly options: WorkerOptions) {
    const g = globalThis as { [SAMPLER_KEY]?: Sampler; [REPEATED_KEY]?: boolean }
    this.sampler = (g[SAMPLER_KEY] ??= new Sampler(options.mode))
    this.repeatedInWorker = g[REPEATED_KEY] === true
    this.sqliteTracked = !options.sqliteModule
    this.worker = workerInfo(options.pool)
    this.slot = runtimeSlot()
    this.slot.fileBudget = undefined
    this.slot.current = undefined
    mkdirSync(options.runningDir, { recursive: true })
    const workerFile = this.worker.id.replace('/', '-')
    this.note = runningNote(join(options.runningDir, `${workerFile}.json`))
    // Lets the main process find every worker process (for its RSS watchdog) before any test runs.
    writeFileSync(join(options.runningDir, `worker-${workerFile}.pid`), JSON.stringify({ pid: this.worker.pid, threadId: this.worker.threadId, pool: this.worker.pool }))
    this.repeatFiles = options.repeat.files.length ? glob()(options.repeat.files, { dot: true }) : undefined
  }

  private relativeFile(f: Task['file']): string {
    return relative(this.options.root, f.filepath).split('\\').join('/')
  }

  private budgetsFor(task: Task): EffectiveBudget {
    if (!this.effective || this.file !== task.file) {
      this.file = task.file
      this.effective = budgetForFile(this.relativeFile(task.file), this.options)
    }
    return this.effective
  }

  // ---- file ---------------------------------------------------------------------------------

  async startFile(suite: Task): Promise<void> {
    const t0 = performance.now()
    this.watch.stop()
    this.hookMs = 0
    this.testUs = []
    this.gcMsAtFileStart = this.sampler.gcMs
    this.fullGcsAtFileStart = this.sampler.fullGcs
    this.fileStartedAt = Date.now()
    this.fileStart = this.options.exactFiles ? this.sampler.fullGcReading() : this.sampler.cheap()
    this.previousFailed = false
    this.filePeak = this.fileStart.heap
    this.fileRssPeak = this.fileStart.rss
    const first = !this.repeatedInWorker
    this.planRepeats(suite)
    if (this.plans.size) await loadSetFn()
    if (first && this.repeatedInWorker) {
      (globalThis as { [REPEATED_KEY]?: boolean })[REPEATED_KEY] = true
      // Warm the reading code up so its compilation does not land in the first test's runs.
      // (codeBytes() walks the heap, ~10% of a full GC: a constant here, not a loop.)
      const code = codeBytes()
      for (let i = 0; i < 500; i++) deltasOf([{ ...read(), code }, { ...read(), code }])
    }
    this.hookMs += performance.now() - t0
  }

  /** Mark the tests that run several times: Vitest's own `repeats` does the re-running. */
  private planRepeats(suite: Task): void {
    const { repeat } = this.options
    const fileMatches = this.repeatFiles?.(this.relativeFile(suite.file)) ?? false
    const visit = (task: Task) => {
      if (task.type !== 'test') return task.tasks?.forEach(visit)
      if (task.concurrent || task.mode === 'skip' || task.mode === 'todo') return
      const own = task.meta.memoryRepeat
      if (!(repeat.all || fileMatches || repeat.ids.includes(task.id) || own)) return
      const runs = (typeof own === 'object' && own.runs) || repeat.runs
      const skip = this.repeatedInWorker ? 0 : FIRST_TEST_EXTRA_WARMUP
      this.repeatedInWorker = true
      const warmup = typeof own === 'object' && own.warmup !== undefined ? own.warmup : repeat.warmup
      const userRuns = (task.repeats ?? 0) + 1
      const total = Math.max(warmup + runs + 1, userRuns - skip)
      const plan = new RepeatPlan(skip, warmup, total, userRuns, repeat.sensitivity, this.worker.threadId !== 0)
      task.repeats = plan.repeats
      this.plans.set(task.id, plan)
    }
    suite.tasks?.forEach(visit)
  }

  async endFile(): Promise<void> {
    const t0 = performance.now()
    this.watch.stop()
    this.plans.clear()
    this.slot.current = undefined
    const { file, fileStart, sampler, options } = this
    if (!file || !fileStart) return
    const eff = this.effective!
    // External memory lags the GC that frees its owner: settle it only when a budget needs it.
    const end = !options.exactFiles ? sampler.cheap() : eff.fileBudget.external === undefined ? sampler.fullGcReading() : await sampler.exact()
    const budget: ResolvedBudget = { ...eff.fileBudget }
    const memory: FileMemory = {
      kind: 'file',
      retained: end.heap - fileStart.heap,
      precision: options.exactFiles ? 'exact' : 'estimate',
      heapBefore: fileStart.heap,
      heapAfter: end.heap,
      peakHeap: Math.max(this.filePeak, end.heap),
      rssBefore: fileStart.rss,
      rssAfter: end.rss,
      rssPeak: Math.max(this.fileRssPeak, end.rss, end.maxRss > fileStart.maxRss ? end.maxRss : 0),
      externalBefore: fileStart.external,
      externalAfter: end.external,
      harnessGcMs: round(sampler.gcMs - this.gcMsAtFileStart),
      fullGcs: sampler.fullGcs - this.fullGcsAtFileStart,
      harnessMs: 0,
      budget,
      budgetMode: eff.budgetMode,
      verdict: 'unchecked',
      worker: this.worker,
      startedAt: this.fileStartedAt,
      at: Date.now(),
    }
    const left = handlesLeft(fileStart.handles, end.handles)
    if (left) memory.handlesLeft = left
    const testUs = median(this.testUs)
    if (testUs !== undefined) memory.harnessTestUs = Math.round(testUs * 10) / 10
    this.testUs = []
    const violations = checkBudget({
      retained: memory.retained,
      peak: memory.peakHeap - memory.heapBefore,
      rss: memory.rssPeak - memory.rssBefore,
      external: memory.externalAfter - memory.externalBefore,
      handles: left,
    }, budget, FILE_LABELS)
    judge(memory, violations, eff.budgetMode)
    memory.harnessMs = round(this.hookMs + performance.now() - t0)
    file.meta.memory = memory
    if (memory.verdict === 'fail') {
      const growth = `heap ${formatDelta(memory.retained)} after GC, peak ${formatDelta(memory.peakHeap - memory.heapBefore)}, external ${formatDelta(memory.externalAfter - memory.externalBefore)}, RSS peak ${formatDelta(memory.rssPeak - memory.rssBefore)}`
      throw new MemoryBudgetError(failureMessage(violations, growth))
    }
  }

  // ---- test: start --------------------------------------------------------------------------

  async startTest(task: Task, onTestFinished: OnTestFinished, signal: AbortSignal): Promise<void> {
    if (!this.sqliteTracked) this.sqliteTracked = trackSqliteEngines(this.options.sqliteModule!)
    const run = this.newRun(task)
    if (run.plan) {
      // Vitest adds an abort listener to the test's signal on every repeat (and keeps it): without
      // this, Node warns about a possible EventTarget leak past 10 repeats.
      if (!run.plan.listenersRaised) {
        run.plan.listenersRaised = true
        setMaxListeners(run.plan.available + 10, signal)
      }
      const { kind, index, bodyNeeded } = run.plan.beginRun()
      run.kind = kind
      run.index = index
      if (kind === 'idle') {
        // The verdict is in. Runs the user did not ask for skip the test body (their hooks still
        // run: Vitest set the repeat count before the test started and cannot lower it).
        if (!bodyNeeded) (await loadSetFn())?.(task, noop)
        return
      }
    }
    onTestFinished(({ task: finished, annotate }) => this.finishTest(run, finished as Task, annotate), HARNESS_HOOK_TIMEOUT_MS)
    if (!run.concurrent) {
      this.watch.stop()
      this.slot.current = { id: task.id }
      this.note.write({ id: task.id, file: task.file.filepath, name: fullName(task), project: task.file.projectName ?? '', pid: this.worker.pid, startedAt: Date.now() })
    }
    // The start reading comes last, once everything this test's bookkeeping holds until its end
    // exists, so that bookkeeping is on both sides of the difference. The GC watch starts first, so
    // that no GC between the reading and the test goes unseen; the reading's own GCs are skipped.
    if (!run.concurrent) this.markDiagnosis(run)
    const forced = this.sampler.forcedGcs
    if (!run.concurrent) this.watch.start()
    run.before = await this.startReading(run)
    if (run.kind === 'measured') this.markRun(run)
    run.ownGcs = this.sampler.forcedGcs - forced
    run.started = performance.now()
  }

  /**
   * The heap profiler's mark that this test starts (diagnose.ts): what is sampled after it is this
   * test's. Before the GC watch and the start reading, so the marker is on both sides. Repeated
   * tests mark their first measured run: the diagnosis covers what every measured run kept.
   */
  private markDiagnosis(run: TestRun): void {
    if (this.options.diagnose === false) return
    if (run.plan) {
      if (run.kind !== 'measured' || run.plan.diagnosisMarked) return
      run.plan.diagnosisMarked = true
    }
    Diagnoser.forWorker().markTest()
  }

  private newRun(task: Task): TestRun {
    return {
      task,
      budgets: this.budgetsFor(task),
      concurrent: task.concurrent === true,
      plan: this.plans.get(task.id),
      index: 0,
      startedAt: performance.now(),
      started: 0,
      gcMsAtStart: this.sampler.gcMs,
      gcsAtStart: this.sampler.forcedGcs,
    }
  }

  /**
   * Concurrent tests share one heap: read without GCs, judge nothing. Repeated runs are exact (a
   * measured run first waits out Vitest's task-update queue). Others: the sampler's mode decides.
   */
  private async startReading(run: TestRun): Promise<StartReading> {
    const { sampler, options } = this
    if (run.concurrent) {
      const reading = read()
      return { reading, exact: false, young: 0 }
    }
    if (run.kind === 'warm') {
      const reading = await sampler.exact()
      run.plan!.warmReading(reading.heap)
      return { reading, exact: true, young: 0 }
    }
    if (run.kind === 'measured') {
      await settleVitestUpdates()
      const reading = await sampler.exact()
      return { reading, exact: true, young: 0 }
    }
    // After a failure Vitest holds the failed test's error (its message, stack and diff: megabytes,
    // for a large message) in the task update it sends at most every 100 ms, and serializes it
    // when it sends it. Wait that out, so it happens before this test's start, in both modes.
    if (this.previousFailed) {
      run.afterFailure = true
      await settleVitestUpdates()
    }
    const eff = run.budgets
    return sampler.start(escalationBudget(eff.budget.retained, options.escalateAbove), this.slot.fileBudget?.external ?? eff.budget.external, this.previousFailed)
  }

  /** A measured run's start reading is a mark of the repetition; snapshots go around one run. */
  private markRun(run: TestRun): void {
    const plan = run.plan!
    const reading = run.before!.reading
    const step = plan.mark({ heap: reading.heap, external: reading.external, rss: reading.rss, code: codeBytes() }, run.index)
    if (step.snapshot === 'after' && plan.snapshot) {
      // Summarized at the end of this run: parsing a snapshot would swell this run's peak.
      takeSnapshot(plan.snapshot.after)
    } else if (step.snapshot === 'before') {
      const heap = heapUsed()
      if (heap > SNAPSHOT_HEAP_LIMIT) {
        plan.whatGrewSkipped = `the heap holds ${formatBytes(heap)}, over the ${formatBytes(SNAPSHOT_HEAP_LIMIT)} up to which heap snapshots are taken`
        return
      }
      const { repeat, root } = this.options
      const dir = repeat.snapshots ? repeat.snapshotDir : join((localRequire('node:os') as typeof import('node:os')).tmpdir(), 'vitest-memory-snapshots')
      mkdirSync(dir, { recursive: true })
      const base = join(dir, `${safeName(relative(root, run.task.file.filepath))}--${safeName(fullName(run.task))}--${process.pid}`)
      try {
        plan.snapshot = { before: takeSnapshot(`${base}-before.heapsnapshot`), after: `${base}-after.heapsnapshot` }
      } catch (error) {
        plan.whatGrewSkipped = `the heap snapshot failed: ${(error as Error).message}`
      }
    }
  }

  // ---- test: end ----------------------------------------------------------------------------

  private async finishTest(run: TestRun, finished: Task, annotate: Annotate): Promise<void> {
    const t0 = performance.now()
    try {
      await this.endTest(run, finished, annotate)
    } finally {
      const ms = run.started - run.startedAt + performance.now() - t0
      this.hookMs += ms
      if (!run.plan && !run.concurrent) this.testUs.push(ms * 1000)
    }
  }

  private async endTest(run: TestRun, finished: Task, annotate: Annotate): Promise<void> {
    const { task, concurrent, plan } = run
    // What Vitest sends about the failed test before this one can still be on its way (a message
    // of megabytes, for a large error): wait for it here too, so it is on neither side. Watched:
    // a GC in the wait counts as one during the test.
    if (run.afterFailure) await settleVitestUpdates()
    // The heap before the watch stops: a GC after this figure is not the test's.
    const endHeap = heapUsed()
    const seen = concurrent ? { gcs: 0, majorGcs: 0, peakBeforeGc: 0 } : this.watch.stop(run.ownGcs)
    // The running note names this test until its reading is on disk (`clearNote`): a worker that dies in
    // the end reading (GCs of a large heap) or in the diagnosis (a heap snapshot) is reported as this test's.
    const own = !concurrent && this.slot.current?.id === task.id ? this.slot.current : undefined
    if (!concurrent) this.slot.current = undefined
    const eff = run.budgets
    const budget: ResolvedBudget = { ...eff.budget, ...this.slot.fileBudget, ...own?.budget }
    const end = await this.endReading(run, endHeap, seen, budget)
    const before = run.before!
    const after = end.reading
    const peakHeap = Math.max(before.reading.heap, endHeap, seen.peakBeforeGc, after.heap)
    const memory: TestMemory = {
      kind: 'test',
      retained: end.retained,
      precision: end.precision,
      heapBefore: before.reading.heap,
      heapAfter: after.heap,
      peakHeap,
      rssBefore: before.reading.rss,
      rssAfter: after.rss,
      rssPeak: rssPeak(before.reading, after),
      externalBefore: before.reading.external,
      externalAfter: after.external,
      arrayBuffersBefore: before.reading.arrayBuffers,
      arrayBuffersAfter: after.arrayBuffers,
      gcs: seen.gcs,
      majorGcs: seen.majorGcs,
      harnessGcMs: round(this.sampler.gcMs - run.gcMsAtStart),
      harnessGcs: this.sampler.forcedGcs - run.gcsAtStart,
      durationMs: round(performance.now() - run.startedAt),
      budget,
      budgetMode: eff.budgetMode,
      verdict: 'unchecked',
      worker: this.worker,
      at: Date.now(),
    }
    if (end.retainedMax !== undefined) memory.retainedMax = end.retainedMax
    if (concurrent) {
      memory.concurrent = true
    } else {
      const left = handlesLeft(before.reading.handles, after.handles)
      if (left) memory.handlesLeft = left
    }
    this.filePeak = Math.max(this.filePeak, peakHeap)
    this.fileRssPeak = Math.max(this.fileRssPeak, memory.rssPeak)
    if (run.kind === 'warm') return this.clearNote(concurrent)
    if (plan) {
      plan.ran(peakHeap - memory.heapBefore, memory.rssPeak - memory.rssBefore)
      // Only the final run writes meta: Vitest queues task updates for ~100 ms, and every
      // replaced meta object would stay alive in that queue and look like per-run growth.
      if (!plan.isFinal(run.index)) return this.clearNote(concurrent)
      this.finishRepeat(plan, memory)
    } else if (!concurrent) {
      judge(memory, testViolations(memory, budget), eff.budgetMode)
    }
    if (!plan) keepAttempts(memory, finished)
    this.diagnose(memory)
    finished.meta.memory = memory
    this.previousFailed = memory.verdict === 'fail' || memory.verdict === 'warn' || finished.result?.state === 'fail'
    const alive = own?.collectAfter?.length ? await stillAlive(own.collectAfter) : []
    const failed = finished.result?.state === 'fail' || memory.verdict === 'fail' || alive.length > 0
    this.keepFinished(task, memory, failed)
    this.clearNote(concurrent)
    if (alive.length && finished.result?.state !== 'fail') {
      this.previousFailed = true
      throw new MemoryRetentionError(`expected ${alive.length === 1 ? alive[0] : `${alive.length} objects (${alive.join(', ')})`} to be garbage collected after the test, but ${alive.length === 1 ? 'it is' : 'they are'} still reachable after its hooks and fixtures ended. Something outside the test still references ${alive.length === 1 ? 'it' : 'them'}: a module-level cache or array, an event listener, a timer, a closure stored elsewhere.`)
    }
    await annotateVerdict(finished, annotate, memory)
    // A test that already failed keeps its own error as the reason; the report still shows the verdict.
    if (memory.verdict === 'fail' && finished.result?.state !== 'fail') throw new MemoryBudgetError(testFailureMessage(memory))
  }

  /** No test running, as far as the running note says (concurrent tests are never in it). */
  private clearNote(concurrent: boolean): void {
    if (!concurrent) this.note.clear()
  }

  /** On disk until the run ends, for the main process to find if this worker dies before Vitest sends the reading. */
  private keepFinished(task: Task, memory: TestMemory, failed: boolean): void {
    const entry: FinishedReading = { id: task.id, file: task.file.filepath, name: fullName(task), project: task.file.projectName ?? '', state: failed ? 'failed' : 'passed', memory }
    if (task.location) entry.line = task.location.line
    this.note.finished(entry)
  }

  /**
   * Allocation sites and retainer paths for a flagged test (or every measured one with `'all'`).
   * After the verdict, which it never changes; a failure of its own is written in `skipped`.
   */
  private diagnose(memory: TestMemory): void {
    const { diagnose, root } = this.options
    if (diagnose === false || memory.concurrent) return
    const flagged = (memory.verdict === 'fail' || memory.verdict === 'warn') && (memory.violations ?? []).some((v) => v.metric === 'retained' || v.metric === 'leak')
    if (!flagged && diagnose !== 'all') return
    const heap = heapUsed()
    // The sites need no snapshot; the holders do, and a huge heap's takes long and as much memory again.
    const noSnapshot = heap > SNAPSHOT_HEAP_LIMIT ? `no retainer paths: the heap holds ${formatBytes(heap)}, over the ${formatBytes(SNAPSHOT_HEAP_LIMIT)} up to which heap snapshots are taken` : undefined
    const dir = join((localRequire('node:os') as typeof import('node:os')).tmpdir(), 'vitest-memory-snapshots')
    memory.diagnosis = Diagnoser.forWorker().diagnose(root, Math.max(memory.retained, 0), dir, noSnapshot)
    // Reading the snapshot leaves megabytes of garbage (its strings, the profile): collected now and
    // the sampler re-anchored, or auto mode counts it in the next test's start reading and a GC
    // during that test makes the test's growth look smaller (a 2 MB leak read as a pass on Node 22).
    this.sampler.fullGcReading()
  }

  /**
   * Concurrent: no GC. Repeated runs: only the final run's end reading is exact (growth per run
   * comes from the marks at the start of each run); the others skip its GCs. Others: the sampler.
   */
  private async endReading(run: TestRun, endHeap: number, seen: GcsSeen, budget: ResolvedBudget): Promise<EndReading> {
    const before = run.before!
    if (run.concurrent) {
      const reading = read()
      return { reading, retained: reading.heap - before.reading.heap, precision: 'shared' }
    }
    if (run.plan) {
      const reading = run.plan.isFinal(run.index) ? await this.sampler.exact() : read()
      return { reading, retained: reading.heap - before.reading.heap, precision: 'exact' }
    }
    return this.sampler.end(before, endHeap, escalationBudget(budget.retained, this.options.escalateAbove), seen, budget.external, run.task.result?.state === 'fail')
  }

  /** The repetition's verdict: the leak rule replaces the retained budget; peak and RSS see the worst run. */
  private finishRepeat(plan: RepeatPlan, memory: TestMemory): void {
    const { repeat, root } = this.options
    const outcome = plan.outcome(...this.whatGrew(plan))
    if (plan.snapshot && repeat.snapshots && outcome.verdict === 'leak') {
      outcome.snapshots = { before: relative(root, plan.snapshot.before), after: relative(root, plan.snapshot.after) }
    }
    memory.repeat = outcome
    memory.retained = outcome.perRun
    const violations = checkBudget({ retained: 0, peak: plan.peak, rss: plan.rss, handles: memory.handlesLeft }, { peak: memory.budget.peak, rss: memory.budget.rss, handles: memory.budget.handles })
    if (outcome.verdict === 'leak') violations.unshift(leakViolation(outcome, repeat.sensitivity))
    judge(memory, violations, memory.budgetMode)
  }

  /** Object kinds that grew across the snapshotted run, or why there are none. Never throws. */
  private whatGrew(plan: RepeatPlan): [GrowthEntry[] | undefined, string | undefined] {
    if (!plan.snapshot?.afterTaken) return [undefined, plan.whatGrewSkipped]
    try {
      return [diffSnapshotFiles(plan.snapshot.before, plan.snapshot.after, this.options.repeat.snapshots), undefined]
    } catch (error) {
      return [undefined, `reading the heap snapshots failed: ${(error as Error).message}`]
    }
  }
}

/**
 * A retried test's earlier attempts: each attempt measures itself and the report holds the last one,
 * with the earlier ones in `attempts`, so a leak in a failed attempt is not lost.
 */
function keepAttempts(memory: TestMemory, finished: Task): void {
  const previous = finished.meta.memory as TestMemory | undefined
  if (!previous || previous.kind !== 'test' || !finished.result?.retryCount) return
  const attempt: AttemptMemory = {
    retained: previous.retained,
    precision: previous.precision,
    heapBefore: previous.heapBefore,
    heapAfter: previous.heapAfter,
    peakHeap: previous.peakHeap,
    state: 'fail',
    verdict: previous.verdict,
  }
  if (previous.retainedMax !== undefined) attempt.retainedMax = previous.retainedMax
  if (previous.violations) attempt.violations = previous.violations
  if (previous.handlesLeft) attempt.handlesLeft = previous.handlesLeft
  memory.attempts = [...(previous.attempts ?? []), attempt]
}

/**
 * The retained budget to give the sampler: escalating above `escalateAbove` (a baseline is being
 * compared) is what a budget of `escalateAbove / ESCALATE_FRACTION` does.
 */
function escalationBudget(budget: number | undefined, escalateAbove: number | undefined): number | undefined {
  if (escalateAbove === undefined) return budget
  return Math.min(budget ?? Infinity, escalateAbove / ESCALATE_FRACTION)
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined
  const s = xs.sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
