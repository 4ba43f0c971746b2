// Installed in every test file by the plugin's setup file (install.ts, or the virtual setup module
// where one worker runs several files). Registers the hooks that measure each test and the file,
// and writes the results into `task.meta.memory`.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { setMaxListeners } from 'node:events'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { ESCALATE_FRACTION, FIRST_TEST_EXTRA_WARMUP, VITEST_UPDATE_INTERVAL_MS } from '../constants.ts'
import { budgetForFile, checkBudget, FILE_LABELS, glob, judge, type EffectiveBudget } from '../shared/budget.ts'
import { installTracking } from '../fixtures/tracking.ts'
import { stillAlive } from './collect.ts'
import { MemoryBudgetError, MemoryRetentionError } from '../shared/errors.ts'
import { formatBytes, formatDelta } from '../shared/size.ts'
import {
  PROVIDE_KEY, type BudgetViolation, type FileMemory, type GrowthEntry, type RepeatResult, type ResolvedBudget, type TestMemory, type WorkerInfo, type WorkerOptions,
} from '../types.ts'
import { codeBytes, heapUsed } from './gc.ts'
import { diffSnapshotFiles, takeSnapshot } from './heapdiff.ts'
import { decide, likelyLeak, type RunDeltas } from './repeat.ts'
import { GcWatch, handlesLeft, read, Sampler, type Reading } from './sampler.ts'
import { runtimeSlot } from './slot.ts'

type Task = {
  id: string
  name: string
  type: string
  mode?: string
  concurrent?: boolean
  repeats?: number
  meta: Record<string, unknown> & { memoryRepeat?: boolean | { runs?: number; warmup?: number } }
  result?: { state?: string }
  suite?: { name: string; suite?: unknown; type?: string }
  tasks?: Task[]
  file: { filepath: string; meta: Record<string, unknown>; projectName?: string }
}

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

const NOTE_KEY = Symbol.for('vitest-memory.note')

/** Size of a running note: JSON padded with spaces, so a note is rewritten in place, never truncated. */
const NOTE_BYTES = 4096
const NO_TEST = Buffer.from('-')

/**
 * The note naming the test a worker is running, for the main process to find if the worker dies.
 * Synchronous writes on purpose: a worker killed mid-test runs no more code. One open file per
 * worker, rewritten in place (one write, ~3 us); between tests its first byte is `-`, which no
 * reader parses, so it means "no test running".
 */
function runningNote(path: string): { write(note: { name: string } & Record<string, unknown>): void; clear(): void } {
  const g = globalThis as { [NOTE_KEY]?: { path: string; fd: number; buffer: Buffer } }
  if (g[NOTE_KEY]?.path !== path) {
    if (g[NOTE_KEY]) closeSync(g[NOTE_KEY].fd)
    g[NOTE_KEY] = { path, fd: openSync(path, 'w'), buffer: Buffer.alloc(NOTE_BYTES) }
  }
  const { fd, buffer } = g[NOTE_KEY]
  return {
    write(note) {
      let text = JSON.stringify(note)
      if (Buffer.byteLength(text) > NOTE_BYTES) text = JSON.stringify({ ...note, name: note.name.slice(0, 1000) })
      buffer.fill(0x20)
      buffer.write(text, 0)
      writeSync(fd, buffer, 0, NOTE_BYTES, 0)
    },
    clear() {
      writeSync(fd, NO_TEST, 0, 1, 0)
    },
  }
}

// One sampler per worker: with `isolate: false` it carries its GC anchor from file to file.
const SAMPLER_KEY = Symbol.for('vitest-memory.sampler')
// Whether this worker has repeated a test already (the first one gets extra warm-up runs).
const REPEATED_KEY = Symbol.for('vitest-memory.repeated')

/**
 * The thread this code runs on. Process pools run it on the main thread of a child process, which
 * has never loaded node:worker_threads (~2 ms and 36 internal modules in every fresh worker).
 */
function threadIdIn(pool: string): number {
  if (pool === 'forks' || pool === 'vmForks') return 0
  return (localRequire('node:worker_threads') as typeof import('node:worker_threads')).threadId
}

function workerInfo(pool: string): WorkerInfo {
  const pid = process.pid
  const threadId = threadIdIn(pool)
  return {
    id: threadId === 0 ? String(pid) : `${pid}/${threadId}`,
    slot: process.env.VITEST_POOL_ID ?? '1',
    pid,
    threadId,
    pool,
  }
}

/** What grew, for a failure message: `heap +3.2 MB, peak +5 MB, external +0 B, RSS +4 MB; left open: 1 Timeout`. */
export function describeGrowth(m: Pick<TestMemory, 'retained' | 'peakHeap' | 'heapBefore' | 'externalAfter' | 'externalBefore' | 'rssPeak' | 'rssBefore' | 'handlesLeft'>): string {
  const parts = [
    `heap ${formatDelta(m.retained)} after GC`,
    `peak ${formatDelta(m.peakHeap - m.heapBefore)}`,
    `external ${formatDelta(m.externalAfter - m.externalBefore)}`,
    `RSS peak ${formatDelta(m.rssPeak - m.rssBefore)}`,
  ]
  const left = Object.entries(m.handlesLeft ?? {}).map(([type, n]) => `${n} ${type}`)
  return `${parts.join(', ')}${left.length ? `; left open: ${left.join(', ')}` : ''}`
}

/** `Array +1,000 (+8 MB), (string) +2,000 (+120 kB)` */
export function describeKinds(grew: GrowthEntry[], top = 3): string {
  return grew.slice(0, top).map((g) => `${g.kind} ${g.count >= 0 ? '+' : ''}${g.count.toLocaleString('en-US')} (${formatDelta(g.bytes)})`).join(', ')
}

function failureMessage(violations: BudgetViolation[], growth: string, extra = ''): string {
  return `${violations.map((v) => v.message).join('; ')}${extra}\n  what grew: ${growth}`
}

function rssPeak(before: Reading, after: Reading): number {
  // The process high-water mark moved during the test: the test set it.
  return after.maxRss > before.maxRss ? after.maxRss : Math.max(before.rss, after.rss)
}

function safeName(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').slice(0, 80)
}

/**
 * A test that runs several times. Growth per run is measured between the exact readings taken at
 * the same point of consecutive runs (the start of the harness's `beforeEach`), where Vitest's and
 * the harness's own per-test bookkeeping is the same, so it cancels out. One extra run supplies
 * the last reading.
 */
interface RepeatPlan {
  /** Unmeasured runs first (the first repeated test of a worker warms Vitest's code up). */
  skip: number
  warmup: number
  /** Measured runs: warm-up + counted + 1. */
  total: number
  /** Readings at the start of each measured run (`code`: V8's compiled code then). */
  marks: Array<Required<RunDeltas>>
  done: number
  peak: number
  rss: number
  snapshot?: { before: string; after: string }
  grew?: GrowthEntry[]
  listenersRaised?: boolean
}

function deltasOf(marks: Array<Required<RunDeltas>>): RunDeltas[] {
  return marks.slice(1).map((m, i) => ({ heap: m.heap - marks[i]!.heap, external: m.external - marks[i]!.external, rss: m.rss - marks[i]!.rss, code: m.code - marks[i]!.code }))
}

/** Register the measuring hooks for the current test file. Called once per file. */
export function install(): void {
  const options = inject(PROVIDE_KEY) as WorkerOptions | undefined
  if (!options) return
  const g = globalThis as { [SAMPLER_KEY]?: Sampler }
  const sampler = (g[SAMPLER_KEY] ??= new Sampler(options.mode))
  let sqliteTracked = !options.sqliteModule
  const worker = workerInfo(options.pool)
  const slot = runtimeSlot()
  slot.fileBudget = undefined
  slot.current = undefined
  const watch = new GcWatch()
  mkdirSync(options.runningDir, { recursive: true })
  const note = runningNote(join(options.runningDir, `${worker.id.replace('/', '-')}.json`))
  // Lets the main process find every worker process (for its RSS watchdog) before any test runs.
  writeFileSync(join(options.runningDir, `worker-${worker.id.replace('/', '-')}.pid`), JSON.stringify({ pid: worker.pid, threadId: worker.threadId, pool: worker.pool }))
  const { repeat } = options
  const repeatFiles = repeat.files.length ? glob()(repeat.files, { dot: true }) : undefined

  let file: Task['file'] | undefined
  let effective: EffectiveBudget | undefined
  let fileStart: Reading | undefined
  let fileStartedAt = 0
  let filePeak = 0
  let fileRssPeak = 0
  let gcMsAtStart = 0
  let fullGcsAtStart = 0
  const plans = new Map<string, RepeatPlan>()
  // The suite of the last test measured the cheap way: the next test of the same suite starts
  // from its after-reading.
  let lastSuite: Task['suite'] | undefined
  // Vitest sends task updates at most every 100 ms and holds them until then; waiting them out
  // before a repeated run's reading keeps that queue out of the growth per run.
  const settledReading = async (wait: boolean) => {
    if (wait) await new Promise((resolve) => setTimeout(resolve, VITEST_UPDATE_INTERVAL_MS))
    return sampler.exact()
  }
  const g2 = globalThis as { [REPEATED_KEY]?: boolean }
  let repeatedInWorker = g2[REPEATED_KEY] === true

  const relativeFile = (f: Task['file']) => relative(options.root, f.filepath).split('\\').join('/')
  const budgetsFor = (task: Task): EffectiveBudget => {
    if (!effective || file !== task.file) {
      file = task.file
      effective = budgetForFile(relativeFile(task.file), options)
    }
    return effective
  }

  /** Mark the tests that run several times: Vitest's own `repeats` does the re-running. */
  const planRepeats = (suite: Task) => {
    const fileMatches = repeatFiles?.(relativeFile(suite.file)) ?? false
    const visit = (task: Task) => {
      if (task.type !== 'test') return task.tasks?.forEach(visit)
      if (task.concurrent || task.mode === 'skip' || task.mode === 'todo') return
      const own = task.meta.memoryRepeat
      if (!(repeat.all || fileMatches || repeat.ids.includes(task.id) || own)) return
      const runs = (typeof own === 'object' && own.runs) || repeat.runs
      const skip = repeatedInWorker ? 0 : FIRST_TEST_EXTRA_WARMUP
      repeatedInWorker = true
      const warmup = typeof own === 'object' && own.warmup !== undefined ? own.warmup : repeat.warmup
      const total = Math.max(warmup + runs + 1, (task.repeats ?? 0) + 1 - skip)
      task.repeats = skip + total - 1
      plans.set(task.id, { skip, warmup, total, marks: [], done: 0, peak: 0, rss: 0 })
    }
    suite.tasks?.forEach(visit)
  }

  beforeAll(async ({}, suite) => {
    watch.stop()
    gcMsAtStart = sampler.gcMs
    fullGcsAtStart = sampler.fullGcs
    fileStartedAt = Date.now()
    fileStart = options.exactFiles ? sampler.fullGcReading() : sampler.cheap()
    lastSuite = undefined
    filePeak = fileStart.heap
    fileRssPeak = fileStart.rss
    const first = !repeatedInWorker
    planRepeats(suite as unknown as Task)
    if (first && repeatedInWorker) {
      g2[REPEATED_KEY] = true
      // Warm the reading code up so its compilation does not land in the first test's runs.
      // (codeBytes() walks the heap, ~10% of a full GC: a constant here, not a loop.)
      const code = codeBytes()
      for (let i = 0; i < 500; i++) deltasOf([{ ...read(), code }, { ...read(), code }])
    }
  })

  beforeEach(async ({ task, onTestFinished, signal }) => {
    if (!sqliteTracked) sqliteTracked = trackSqliteEngines(options.sqliteModule!)
    const t = task as unknown as Task
    const eff = budgetsFor(t)
    const started = performance.now()
    const concurrent = t.concurrent === true
    const plan = plans.get(t.id)
    // Vitest adds an abort listener to the test's signal on every repeat (and keeps it): without
    // this, Node warns about a possible EventTarget leak past 10 repeats.
    if (plan && !plan.listenersRaised) {
      plan.listenersRaised = true
      setMaxListeners(plan.skip + plan.total + 10, signal)
    }
    // Unmeasured warm-up runs take the measuring path (to warm it up too) but record nothing.
    const skipping = plan !== undefined && plan.skip > 0
    if (skipping) plan.skip--
    const gcMs0 = sampler.gcMs
    let before!: { reading: Reading; exact: boolean; garbageBound: number }
    onTestFinished(async ({ task: finished, annotate }) => {
      const seen = concurrent ? { gcs: 0, majorGcs: 0, peakBeforeGc: 0 } : watch.stop()
      if (!concurrent) note.clear()
      const own = !concurrent && slot.current?.id === t.id ? slot.current : undefined
      if (!concurrent) slot.current = undefined
      const endHeap = heapUsed()
      const retainedBudget = own?.budget?.retained ?? slot.fileBudget?.retained ?? eff.budget.retained
      const result = concurrent
        ? (() => {
            const reading = read()
            return { reading, retained: reading.heap - before.reading.heap, precision: 'shared' as const, retainedMax: undefined }
          })()
        : plan
          ? await (async () => {
              // Only the last measured run's after-reading is used (growth per run comes from the
              // marks at the start of each run): the others skip the exact reading's GCs.
              const reading = !skipping && plan.done + 1 < plan.total ? read() : await sampler.exact()
              return { reading, retained: reading.heap - before.reading.heap, precision: 'exact' as const, retainedMax: undefined }
            })()
          : await sampler.after(before, escalationBudget(retainedBudget, options.escalateAbove), seen.majorGcs > 0, own?.budget?.external ?? slot.fileBudget?.external ?? eff.budget.external)
      const after = result.reading
      const budget: ResolvedBudget = { ...eff.budget, ...slot.fileBudget, ...own?.budget }
      const peakHeap = Math.max(before.reading.heap, endHeap, seen.peakBeforeGc, after.heap)
      const memory: TestMemory = {
        kind: 'test',
        retained: result.retained,
        precision: result.precision,
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
        harnessGcMs: round(sampler.gcMs - gcMs0),
        durationMs: round(performance.now() - started),
        budget,
        budgetMode: eff.budgetMode,
        verdict: 'unchecked',
        worker,
        at: Date.now(),
      }
      if (result.retainedMax !== undefined) memory.retainedMax = result.retainedMax
      if (!concurrent) {
        const left = handlesLeft(before.reading.handles, after.handles)
        if (left) memory.handlesLeft = left
      } else {
        memory.concurrent = true
      }
      filePeak = Math.max(filePeak, peakHeap)
      fileRssPeak = Math.max(fileRssPeak, memory.rssPeak)

      let violations: BudgetViolation[] = []
      if (skipping) return
      if (plan) {
        plan.done++
        plan.peak = Math.max(plan.peak, peakHeap - memory.heapBefore)
        plan.rss = Math.max(plan.rss, memory.rssPeak - memory.rssBefore)
        // Only the last run writes meta: Vitest queues task updates for ~100 ms, and every
        // replaced meta object would stay alive in that queue and look like per-run growth.
        if (plan.done < plan.total) return
        plans.delete(t.id)
        if (plan.snapshot) plan.grew = diffSnapshotFiles(plan.snapshot.before, plan.snapshot.after, repeat.snapshots)
        const runs = deltasOf(plan.marks)
        const decision = decide(runs, plan.warmup, repeat.sensitivity)
        const outcome: RepeatResult = { runs, warmup: plan.warmup, verdict: decision.verdict, perRun: Math.round(decision.perRun) }
        if (decision.signal) outcome.signal = decision.signal
        if (plan.grew && decision.verdict === 'leak') outcome.grew = plan.grew
        if (plan.snapshot && repeat.snapshots && decision.verdict === 'leak') {
          outcome.snapshots = { before: relative(options.root, plan.snapshot.before), after: relative(options.root, plan.snapshot.after) }
        }
        memory.repeat = outcome
        memory.retained = outcome.perRun
        // The leak rule replaces the retained budget; peak and RSS budgets see the worst run.
        violations = checkBudget({ retained: 0, peak: plan.peak, rss: plan.rss, handles: memory.handlesLeft }, { peak: budget.peak, rss: budget.rss, handles: budget.handles })
        if (decision.verdict === 'leak') violations.unshift(leakViolation(outcome, repeat.sensitivity))
      } else if (!concurrent) {
        violations = checkBudget({
          retained: memory.retained,
          peak: peakHeap - memory.heapBefore,
          rss: memory.rssPeak - memory.rssBefore,
          external: memory.externalAfter - memory.externalBefore,
          handles: memory.handlesLeft,
        }, budget)
      }
      if (!concurrent) judge(memory, violations, eff.budgetMode)
      finished.meta.memory = memory
      lastSuite = concurrent || plan ? undefined : t.suite
      if (own?.collectAfter?.length) {
        const alive = await stillAlive(own.collectAfter)
        if (alive.length && finished.result?.state !== 'fail') {
          throw new MemoryRetentionError(`expected ${alive.length === 1 ? alive[0] : `${alive.length} objects (${alive.join(', ')})`} to be garbage collected after the test, but ${alive.length === 1 ? 'it is' : 'they are'} still reachable after its hooks and fixtures ended. Something outside the test still references ${alive.length === 1 ? 'it' : 'them'}: a module-level cache or array, an event listener, a timer, a closure stored elsewhere.`)
        }
      }
      await annotateVerdict(finished, annotate, memory)
      // A test that already failed keeps its own error as the reason; the report still shows the verdict.
      if (memory.verdict === 'fail' && finished.result?.state !== 'fail') {
        const low = formatDelta(memory.retained)
        const high = memory.retainedMax === undefined ? low : formatDelta(memory.retainedMax)
        const bound = high === low ? '' : ` (measured between ${low} and ${high})`
        const kinds = memory.repeat?.grew?.length ? `\n  object kinds that grew in the last run: ${describeKinds(memory.repeat.grew)}` : ''
        const snapshots = memory.repeat?.snapshots ? `\n  heap snapshots: ${memory.repeat.snapshots.before}, ${memory.repeat.snapshots.after}` : ''
        throw new MemoryBudgetError(failureMessage(memory.violations!, describeGrowth(memory), bound) + kinds + snapshots)
      }
    })

    // The "before" reading comes last, once everything this test's bookkeeping holds until its
    // end exists, so that bookkeeping is on both sides of the difference.
    if (!concurrent) {
      watch.stop()
      slot.current = { id: t.id }
      note.write({ id: t.id, file: t.file.filepath, name: fullName(t), project: t.file.projectName ?? '', pid: worker.pid, startedAt: Date.now() })
    }
    // Concurrent tests share one heap: read without GCs, judge nothing. Repeated runs are exact.
    before = concurrent
      ? { reading: read(), exact: false, garbageBound: 0 }
      : plan
        ? { reading: await settledReading(!skipping), exact: true, garbageBound: 0 }
        : await sampler.before(escalationBudget(eff.budget.retained, options.escalateAbove), t.suite !== undefined && t.suite === lastSuite, slot.fileBudget?.external ?? eff.budget.external)
    if (plan && !skipping) {
      plan.marks.push({ heap: before.reading.heap, external: before.reading.external, rss: before.reading.rss, code: codeBytes() })
      const n = plan.marks.length
      if (plan.snapshot && n === plan.total) {
        // Summarized at the end of this run: parsing a snapshot would swell this run's peak.
        takeSnapshot(plan.snapshot.after)
      } else if (n === plan.total - 1 && likelyLeak(deltasOf(plan.marks), plan.warmup, repeat.sensitivity)) {
        // Every counted run so far grew: snapshot around the last one to say what grows.
        const dir = repeat.snapshots ? repeat.snapshotDir : join((localRequire('node:os') as typeof import('node:os')).tmpdir(), 'vitest-memory-snapshots')
        mkdirSync(dir, { recursive: true })
        const base = join(dir, `${safeName(relativeFile(t.file))}--${safeName(fullName(t))}--${process.pid}`)
        plan.snapshot = { before: takeSnapshot(`${base}-before.heapsnapshot`), after: `${base}-after.heapsnapshot` }
      }
    }
    if (!concurrent) watch.start()
  })

  afterAll(async () => {
    watch.stop()
    slot.current = undefined
    if (!file || !fileStart) return
    // External memory lags the GC that frees its owner: settle it only when a budget needs it.
    const end = !options.exactFiles ? sampler.cheap() : effective?.fileBudget.external === undefined ? sampler.fullGcReading() : await sampler.exact()
    const eff = effective!
    const budget: ResolvedBudget = { ...eff.fileBudget }
    const memory: FileMemory = {
      kind: 'file',
      retained: end.heap - fileStart.heap,
      precision: options.exactFiles ? 'exact' : 'estimate',
      heapBefore: fileStart.heap,
      heapAfter: end.heap,
      peakHeap: Math.max(filePeak, end.heap),
      rssBefore: fileStart.rss,
      rssAfter: end.rss,
      rssPeak: Math.max(fileRssPeak, end.rss, end.maxRss > fileStart.maxRss ? end.maxRss : 0),
      externalBefore: fileStart.external,
      externalAfter: end.external,
      harnessGcMs: round(sampler.gcMs - gcMsAtStart),
      fullGcs: sampler.fullGcs - fullGcsAtStart,
      budget,
      budgetMode: eff.budgetMode,
      verdict: 'unchecked',
      worker,
      startedAt: fileStartedAt,
      at: Date.now(),
    }
    const left = handlesLeft(fileStart.handles, end.handles)
    if (left) memory.handlesLeft = left
    const violations = checkBudget({
      retained: memory.retained,
      peak: memory.peakHeap - memory.heapBefore,
      rss: memory.rssPeak - memory.rssBefore,
      external: memory.externalAfter - memory.externalBefore,
      handles: left,
    }, budget, FILE_LABELS)
    judge(memory, violations, eff.budgetMode)
    file.meta.memory = memory
    if (memory.verdict === 'fail') {
      const growth = `heap ${formatDelta(memory.retained)} after GC, peak ${formatDelta(memory.peakHeap - memory.heapBefore)}, external ${formatDelta(memory.externalAfter - memory.externalBefore)}, RSS peak ${formatDelta(memory.rssPeak - memory.rssBefore)}`
      throw new MemoryBudgetError(failureMessage(violations, growth))
    }
  })
}

/** `leaks 12.3 kB per run (heap): 5 of 5 counted runs grew (+12.1 kB, ...), after a warm-up of +1.2 MB` */
function leakViolation(outcome: RepeatResult, sensitivity: number): BudgetViolation {
  const signal = outcome.signal ?? 'heap'
  const counted = outcome.runs.slice(outcome.warmup).map((r) => r[signal])
  const warm = outcome.runs.slice(0, outcome.warmup).map((r) => r[signal])
  const grew = counted.filter((d) => d > sensitivity).length
  const what = signal === 'heap' ? 'heap' : signal === 'external' ? 'external memory' : 'RSS (native memory)'
  return {
    metric: 'leak',
    limit: sensitivity,
    actual: outcome.perRun,
    message: `leaks ${formatBytes(outcome.perRun)} of ${what} per run: ${grew} of ${counted.length} counted runs grew (${counted.map(formatDelta).join(', ')})${warm.length ? `, after warm-up ${warm.map(formatDelta).join(', ')}` : ''}`,
  }
}

/**
 * The retained budget to give the sampler: escalating above `escalateAbove` (a baseline is being
 * compared) is what a budget of `escalateAbove / ESCALATE_FRACTION` does.
 */
function escalationBudget(budget: number | undefined, escalateAbove: number | undefined): number | undefined {
  if (escalateAbove === undefined) return budget
  return Math.min(budget ?? Infinity, escalateAbove / ESCALATE_FRACTION)
}

/**
 * Put a flagged test's memory verdict where Vitest's UI and HTML reporter show per-test
 * information: a test annotation (type `vitest-memory`). `annotate()` refuses once the test has a
 * result, and onTestFinished runs after that, so the check is lifted for the synchronous call.
 */
async function annotateVerdict(task: { result?: { state?: string } }, annotate: ((message: string, type?: string) => Promise<unknown>) | undefined, memory: TestMemory): Promise<void> {
  if ((memory.verdict !== 'fail' && memory.verdict !== 'warn') || typeof annotate !== 'function') return
  const result = task.result
  const state = result?.state
  try {
    if (result) result.state = 'run'
    // Vitest looks for the test file in a new Error's stack to place the annotation; called from
    // this hook it never finds it, and formatting that stack kept ~1.5 MB (source maps, parsed
    // frames) in the worker, counted in the file's figures. No frames: nothing to format.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    let done: Promise<unknown>
    try {
      done = annotate(`memory ${memory.verdict}: ${(memory.violations ?? []).map((v) => v.message).join('; ')}`, 'vitest-memory')
    } finally {
      Error.stackTraceLimit = limit
    }
    if (result) result.state = state
    await done
  } catch {
    // An older runner without annotations: the report and the error still say it.
  } finally {
    if (result) result.state = state
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
