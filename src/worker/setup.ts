// Installed in every test file by the plugin's virtual setup module. Registers the hooks that
// measure each test and the file, and writes the results into `task.meta.memory`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { threadId } from 'node:worker_threads'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { budgetForFile, checkBudget, FILE_LABELS, judge, type EffectiveBudget } from '../shared/budget.ts'
import { MemoryBudgetError } from '../shared/errors.ts'
import { formatDelta } from '../shared/size.ts'
import {
  PROVIDE_KEY, type BudgetViolation, type FileMemory, type ResolvedBudget, type TestMemory, type WorkerInfo, type WorkerOptions,
} from '../types.ts'
import { heapUsed } from './gc.ts'
import { GcWatch, handlesLeft, read, Sampler, type Reading } from './sampler.ts'
import { runtimeSlot } from './slot.ts'

type Task = {
  id: string
  name: string
  concurrent?: boolean
  meta: Record<string, unknown>
  result?: { state?: string }
  suite?: { name: string; suite?: unknown; type?: string }
  file: { filepath: string; meta: Record<string, unknown>; projectName?: string }
}

/** Suite and test names joined with " > ", as Vitest's reporters show them. */
function fullName(task: Task): string {
  const names = [task.name]
  for (let s = task.suite as { name: string; suite?: unknown } | undefined; s && (s as { type?: string }).type !== 'file' && s.name; s = s.suite as typeof s) names.unshift(s.name)
  return names.join(' > ')
}

// One sampler per worker: with `isolate: false` it carries its GC anchor from file to file.
const SAMPLER_KEY = Symbol.for('vitest-memory.sampler')

function workerInfo(pool: string): WorkerInfo {
  const pid = process.pid
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

function failureMessage(violations: BudgetViolation[], growth: string, extra = ''): string {
  return `${violations.map((v) => v.message).join('; ')}${extra}\n  what grew: ${growth}`
}

function rssPeak(before: Reading, after: Reading): number {
  // The process high-water mark moved during the test: the test set it.
  return after.maxRss > before.maxRss ? after.maxRss : Math.max(before.rss, after.rss)
}

/** Register the measuring hooks for the current test file. Called once per file. */
export function install(): void {
  const options = inject(PROVIDE_KEY) as WorkerOptions | undefined
  if (!options) return
  const g = globalThis as { [SAMPLER_KEY]?: Sampler }
  const sampler = (g[SAMPLER_KEY] ??= new Sampler(options.mode))
  const worker = workerInfo(options.pool)
  const slot = runtimeSlot()
  slot.fileBudget = undefined
  slot.current = undefined
  const watch = new GcWatch()
  // Sync writes on purpose: a worker killed mid-test never runs another line of ours.
  const runningFile = join(options.runningDir, `${worker.id.replace('/', '-')}.json`)
  mkdirSync(options.runningDir, { recursive: true })
  // Lets the main process find every worker process (for its RSS watchdog) before any test runs.
  writeFileSync(join(options.runningDir, `worker-${worker.id.replace('/', '-')}.pid`), JSON.stringify({ pid: worker.pid, threadId: worker.threadId, pool: worker.pool }))

  let file: Task['file'] | undefined
  let effective: EffectiveBudget | undefined
  let fileStart: Reading | undefined
  let fileStartedAt = 0
  let filePeak = 0
  let fileRssPeak = 0
  let gcMsAtStart = 0
  let fullGcsAtStart = 0

  const budgetsFor = (task: Task): EffectiveBudget => {
    if (!effective || file !== task.file) {
      file = task.file
      effective = budgetForFile(relative(options.root, task.file.filepath).split('\\').join('/'), options)
    }
    return effective
  }

  beforeAll(async () => {
    watch.stop()
    gcMsAtStart = sampler.gcMs
    fullGcsAtStart = sampler.fullGcs
    fileStartedAt = Date.now()
    fileStart = await sampler.fileStart()
    filePeak = fileStart.heap
    fileRssPeak = fileStart.rss
  })

  beforeEach(async ({ task, onTestFinished }) => {
    const t = task as unknown as Task
    const eff = budgetsFor(t)
    const started = performance.now()
    const concurrent = t.concurrent === true
    const gcMs0 = sampler.gcMs
    // Concurrent tests share one heap: read without GCs, judge nothing.
    const before = concurrent ? { reading: read(), exact: false, garbageBound: 0 } : await sampler.before(eff.budget.retained)
    if (!concurrent) {
      watch.stop()
      slot.current = { id: t.id }
      writeFileSync(runningFile, JSON.stringify({ id: t.id, file: t.file.filepath, name: fullName(t), project: t.file.projectName ?? '', pid: worker.pid, startedAt: Date.now() }))
      watch.start()
    }

    onTestFinished(async ({ task: finished }) => {
      const seen = concurrent ? { gcs: 0, majorGcs: 0, peakBeforeGc: 0 } : watch.stop()
      if (!concurrent) rmSync(runningFile, { force: true })
      const own = !concurrent && slot.current?.id === t.id ? slot.current : undefined
      if (!concurrent) slot.current = undefined
      const budget: ResolvedBudget = { ...eff.budget, ...slot.fileBudget, ...own?.budget }
      const endHeap = heapUsed()
      const result = concurrent
        ? (() => {
            const reading = read()
            return { reading, retained: reading.heap - before.reading.heap, precision: 'shared' as const, retainedMax: undefined }
          })()
        : await sampler.after(before, budget.retained, seen.majorGcs > 0)
      const after = result.reading
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

      if (!concurrent) {
        const violations = checkBudget({ retained: memory.retained, peak: peakHeap - memory.heapBefore, rss: memory.rssPeak - memory.rssBefore }, budget)
        judge(memory, violations, eff.budgetMode)
      }
      finished.meta.memory = memory
      // A test that already failed keeps its own error as the reason; the report still shows the verdict.
      if (memory.verdict === 'fail' && finished.result?.state !== 'fail') {
        const low = formatDelta(memory.retained)
        const high = memory.retainedMax === undefined ? low : formatDelta(memory.retainedMax)
        const bound = high === low ? '' : ` (measured between ${low} and ${high})`
        throw new MemoryBudgetError(failureMessage(memory.violations!, describeGrowth(memory), bound))
      }
    })
  })

  afterAll(async () => {
    watch.stop()
    slot.current = undefined
    if (!file || !fileStart) return
    const end = await sampler.fileEnd()
    const eff = effective!
    const budget: ResolvedBudget = { ...eff.fileBudget }
    const memory: FileMemory = {
      kind: 'file',
      retained: end.heap - fileStart.heap,
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
    const violations = checkBudget({ retained: memory.retained, peak: memory.peakHeap - memory.heapBefore, rss: memory.rssPeak - memory.rssBefore }, budget, FILE_LABELS)
    judge(memory, violations, eff.budgetMode)
    file.meta.memory = memory
    if (memory.verdict === 'fail') {
      const growth = `heap ${formatDelta(memory.retained)} after GC, peak ${formatDelta(memory.peakHeap - memory.heapBefore)}, external ${formatDelta(memory.externalAfter - memory.externalBefore)}, RSS peak ${formatDelta(memory.rssPeak - memory.rssBefore)}`
      throw new MemoryBudgetError(failureMessage(violations, growth))
    }
  })
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
