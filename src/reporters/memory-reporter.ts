// Main-process side: gathers what workers measured, judges run-level budgets, writes the JSON
// report and prints the terminal summary.
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node'
import { REPORT_SCHEMA_VERSION } from '../constants.ts'
import type { ResolvedMemoryOptions } from '../node/options.ts'
import { applyStops, readStops, Watchdog } from '../node/watchdog.ts'
import { key } from '../node/baseline.ts'
import { applyBaseline, regressionChecker, renderBaselineTerminal, writeRunOutputs, type RunContext } from '../node/run-outputs.ts'
import { checkBudget, judge, WORKER_LABELS } from '../shared/budget.ts'
import { byText } from '../shared/order.ts'
import type { FileMemory, TestMemory } from '../types.ts'
import { writeFileAtomic, type MemoryReport, type ReportFile, type ReportInterrupted, type ReportTest, type ReportWorker } from './json.ts'
import { renderSummary } from './terminal.ts'

const require = createRequire(import.meta.url)
const VERSION = (require('../../package.json') as { version: string }).version

interface ModuleRecord {
  file?: ReportFile
  tests: ReportTest[]
  /** `key(project, file, name)` of the module's tests without a reading (skipped, todo, concurrent): a baseline update keeps their entries. */
  unmeasured: string[]
}

function isTest(m: unknown): m is TestMemory {
  return typeof m === 'object' && m !== null && (m as TestMemory).kind === 'test'
}
function isFile(m: unknown): m is FileMemory {
  return typeof m === 'object' && m !== null && (m as FileMemory).kind === 'file'
}

export class MemoryReporter implements Reporter {
  private vitest!: Vitest
  // Keyed by project + module id. Kept across watch-mode re-runs, so the report stays whole.
  private modules = new Map<string, ModuleRecord>()
  private pools = new Set<string>()
  // Tests that started and have not reported a result: when a worker dies, these name what it was running.
  private running = new Map<string, TestCase>()
  /** Where workers note the test they are running (see `WorkerOptions.runningDir`). */
  readonly runningDir = join(tmpdir(), `vitest-memory-${process.pid}-${Date.now()}`)
  /** Stops runaway workers (see src/node/watchdog.ts); created in onInit unless `watchdog: false`. */
  private watchdog: Watchdog | undefined

  /** Annotates tests that regressed against the baseline as their results arrive (see regressionChecker). */
  private regressed: ReturnType<typeof regressionChecker>

  constructor(private readonly options: ResolvedMemoryOptions) {}

  noteProject(_name: string, pool: string): void {
    this.pools.add(pool)
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
    if (this.options.watchdog && !this.watchdog) {
      const watchdog = (this.watchdog = new Watchdog(this.runningDir, this.options.watchdog, { log: (m) => vitest.logger.error(m) }))
      vitest.onClose(() => watchdog.close())
    }
  }

  private relative(path: string): string {
    return relative(this.vitest.config.root, path).split('\\').join('/')
  }

  private collect(module: TestModule): void {
    const file = this.relative(module.moduleId)
    const project = module.project.name
    const tests: ReportTest[] = []
    const unmeasured: string[] = []
    for (const test of module.children.allTests()) {
      const meta = test.meta().memory
      if (!isTest(meta) || meta.precision === 'shared') unmeasured.push(key(project, file, test.fullName))
      if (!isTest(meta)) continue
      const { kind: _kind, ...memory } = meta
      const entry: ReportTest = { id: test.id, file, name: test.fullName, project, state: test.result().state, ...memory }
      if (test.location) entry.line = test.location.line
      tests.push(entry)
    }
    const fileMeta = module.meta().memory
    const record: ModuleRecord = { tests, unmeasured }
    if (isFile(fileMeta)) {
      const { kind: _kind, ...memory } = fileMeta
      record.file = { file, project, tests: tests.length, testsRetained: tests.reduce((s, t) => s + t.retained, 0), ...memory }
    }
    this.modules.set(`${project}\0${module.moduleId}`, record)
  }

  onTestRunStart(): void {
    this.running.clear()
    this.regressed = regressionChecker(this.options, this.vitest.config.root, this.isShardRun())
    this.watchdog?.start()
  }

  /** Tests whose worker died while they ran: the notes those workers left behind. */
  private leftBehind(): ReportInterrupted[] {
    const found: ReportInterrupted[] = []
    let names: string[] = []
    try {
      names = readdirSync(this.runningDir)
    } catch {
      return found
    }
    for (const name of names) {
      if (!name.endsWith('.json') || /^(stopped|died)-/.test(name)) continue
      try {
        const note = JSON.parse(readFileSync(join(this.runningDir, name), 'utf8')) as ReportInterrupted & { file: string }
        found.push({ id: note.id, file: this.relative(note.file), name: note.name, project: note.project })
      } catch {
        // A note cut short by the crash itself: nothing to name.
      }
    }
    rmSync(this.runningDir, { recursive: true, force: true })
    return found
  }

  onTestCaseReady(test: TestCase): void {
    this.running.set(test.id, test)
  }

  onTestCaseResult(test: TestCase): void {
    this.running.delete(test.id)
    const memory = this.regressed && test.meta().memory
    if (memory && isTest(memory)) {
      const message = this.regressed!(test.project.name, this.relative(test.module.moduleId), test.fullName, memory)
      // Into the runner task's annotations (what `annotations()` copies; not in Vitest's public
      // types), before any reporter's onTestRunEnd, so Vitest's HTML reporter and blob reports include it.
      const task = (test as unknown as { task?: { annotations?: Array<{ type: string; message: string }> } }).task
      if (message && Array.isArray(task?.annotations)) task.annotations.push({ type: 'vitest-memory', message })
    }
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    this.watchdog?.stop()
    const stops = readStops(this.runningDir)
    for (const module of testModules) this.collect(module)
    const interrupted = new Map<string, ReportInterrupted>()
    for (const t of this.running.values()) interrupted.set(t.id, { id: t.id, file: this.relative(t.module.moduleId), name: t.fullName, project: t.project.name })
    for (const t of this.leftBehind()) interrupted.set(t.id, t)
    const watchdog = applyStops(stops, interrupted, (path) => this.relative(path))
    this.running.clear()
    if (watchdog.message) process.exitCode = 1
    if (this.modules.size === 0 && interrupted.size === 0 && !watchdog.message) return
    const report = this.buildReport([...interrupted.values()])
    report.notes.push(...watchdog.notes)
    const run = this.runContext([...interrupted.values()])
    applyBaseline(report, this.options, run)
    let written: string | undefined
    if (this.options.outputFile !== false) {
      written = resolve(this.vitest.config.root, this.options.outputFile)
      try {
        writeFileAtomic(written, `${JSON.stringify(report, null, 2)}\n`)
      } catch (error) {
        this.vitest.logger.error(`vitest-memory: could not write the report to ${written}: ${(error as Error).message}`)
        written = undefined
        process.exitCode = 1
      }
    }
    writeRunOutputs(report, this.options, run, written)
    const workersOver = report.workers.filter((w) => w.verdict === 'fail')
    if (workersOver.length > 0) process.exitCode = 1
    if (this.options.terminal !== 'off') {
      const text = renderSummary(report, {
        top: this.options.top,
        full: this.options.terminal === 'full',
        reportPath: written ? this.relative(written) : undefined,
      })
      this.vitest.logger.log(text)
      const baseline = renderBaselineTerminal(report, this.options.terminal === 'full', this.options)
      if (baseline) this.vitest.logger.log(baseline)
    } else if (report.baseline?.status === 'corrupt') {
      this.vitest.logger.error(`vitest-memory: ${report.baseline.message}`)
    }
    // Last, so it is the line people see: the run failed because a worker was stopped.
    if (watchdog.message) this.vitest.logger.error(`${watchdog.message}\n`)
  }

  /** What the baseline and the other run-level outputs need to know about this run. */
  private runContext(interrupted: ReportInterrupted[]): RunContext {
    const unmeasured = new Set<string>()
    for (const record of this.modules.values()) for (const k of record.unmeasured) unmeasured.add(k)
    for (const t of interrupted) unmeasured.add(key(t.project, t.file, t.name))
    const logger = this.vitest.logger
    return {
      root: this.vitest.config.root,
      shard: this.isShardRun(),
      unmeasured,
      log: (m) => logger.log(m),
      error: (m) => logger.error(m),
    }
  }

  private isShardRun(): boolean {
    const config = this.vitest.config as { shard?: unknown; mergeReports?: unknown }
    return Boolean(config.shard) && !config.mergeReports
  }

  private buildReport(interrupted: ReportInterrupted[]): MemoryReport {
    const tests: ReportTest[] = []
    const files: ReportFile[] = []
    for (const record of this.modules.values()) {
      tests.push(...record.tests)
      if (record.file) files.push(record.file)
    }
    const byKey = (a: { file: string; name?: string; project: string }, b: { file: string; name?: string; project: string }) =>
      byText(a.project, b.project) || byText(a.file, b.file) || byText(a.name ?? '', b.name ?? '')
    tests.sort(byKey)
    files.sort(byKey)

    const deferred = this.isShardRun()
    const workers = buildWorkers(tests, files, this.options, deferred)
    const notes: string[] = []
    const pools = new Set([...this.pools, ...tests.map((t) => t.worker.pool)])
    if ([...pools].some((p) => p.includes('hreads'))) {
      notes.push('Thread pools: RSS is per process and shared by every thread in it; heap figures are per thread.')
    }
    if (tests.some((t) => t.concurrent)) {
      notes.push('Concurrent tests share one heap: their readings include their neighbours and are not judged.')
    }
    if (deferred) notes.push('Shard run: run-level budgets are judged when the shards are merged (--merge-reports).')
    if (interrupted.length) notes.push('Some tests never finished: their worker stopped while they ran (crash, out of memory, or process.exit). See "interrupted".')
    const measured = tests.filter((t) => t.precision !== 'shared')
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'vitest-memory', version: VERSION },
      createdAt: new Date().toISOString(),
      root: this.vitest.config.root,
      environment: { node: process.version, vitest: this.vitest.version, platform: process.platform, arch: process.arch },
      mode: this.options.mode,
      pools: [...pools].sort(),
      notes,
      budgets: { budget: this.options.budget, fileBudget: this.options.fileBudget, workerBudget: this.options.workerBudget, budgetMode: this.options.budgetMode },
      summary: {
        tests: tests.length,
        measured: measured.length,
        failed: tests.filter((t) => t.verdict === 'fail').length + files.filter((f) => f.verdict === 'fail').length + workers.filter((w) => w.verdict === 'fail').length,
        warned: tests.filter((t) => t.verdict === 'warn').length + files.filter((f) => f.verdict === 'warn').length + workers.filter((w) => w.verdict === 'warn').length,
        files: files.length,
        workers: workers.length,
        runBudgetsDeferred: deferred,
        harnessGcMs: Math.round(files.reduce((s, f) => s + f.harnessGcMs, 0)),
        maxRetained: Math.max(0, ...measured.map((t) => t.retained)),
        maxPeakAboveStart: Math.max(0, ...measured.map((t) => t.peakHeap - t.heapBefore)),
        maxRssPeak: Math.max(0, ...tests.map((t) => t.rssPeak), ...files.map((f) => f.rssPeak)),
      },
      tests,
      files,
      workers,
      interrupted,
    }
  }
}

function buildWorkers(tests: ReportTest[], files: ReportFile[], options: ResolvedMemoryOptions, deferred: boolean): ReportWorker[] {
  const workers = new Map<string, ReportWorker & { first?: ReportFile; last?: ReportFile }>()
  const get = (w: TestMemory['worker']) => {
    let entry = workers.get(w.id)
    if (!entry) {
      entry = { id: w.id, slot: w.slot, pid: w.pid, pool: w.pool, files: 0, tests: 0, heapGrowth: 0, rssPeak: 0, series: [], verdict: 'unchecked' }
      workers.set(w.id, entry)
    }
    return entry
  }
  for (const f of files) {
    const w = get(f.worker)
    w.files++
    w.rssPeak = Math.max(w.rssPeak, f.rssPeak)
    const exact = f.precision === 'exact' ? 1 : 0
    w.series.push([f.startedAt, f.heapBefore, exact], [f.at, f.heapAfter, exact])
    if (!w.first || f.startedAt < w.first.startedAt) w.first = f
    if (!w.last || f.at > w.last.at) w.last = f
  }
  for (const t of tests) {
    const w = get(t.worker)
    w.tests++
    w.rssPeak = Math.max(w.rssPeak, t.rssPeak)
    if (t.precision !== 'shared') w.series.push([t.at, t.heapAfter, t.precision === 'estimate' ? 0 : 1])
  }
  const result: ReportWorker[] = []
  for (const { first, last, ...w } of workers.values()) {
    w.series.sort((a, b) => a[0] - b[0])
    w.heapGrowth = first && last ? last.heapAfter - first.heapBefore : 0
    if (!deferred) {
      const violations = checkBudget({ retained: w.heapGrowth, peak: 0, rss: w.rssPeak }, { retained: options.workerBudget.heapGrowth, rss: options.workerBudget.rss }, WORKER_LABELS)
        .map((v) => (v.metric === 'retained' ? { ...v, metric: 'heapGrowth' as const } : v))
      judge(w, violations, options.budgetMode)
    }
    result.push(w)
  }
  return result.sort((a, b) => Number(a.slot) - Number(b.slot) || byText(a.id, b.id))
}
