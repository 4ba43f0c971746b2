// Main-process side: gathers what workers measured, judges run-level budgets, writes the JSON
// report and prints the terminal summary.
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule, TestProject, Vitest } from 'vitest/node'
import { REPORT_SCHEMA_VERSION } from '../constants.ts'
import type { ResolvedMemoryOptions } from '../node/options.ts'
import { applyStops, readStops, Watchdog } from '../node/watchdog.ts'
import { key } from '../node/baseline.ts'
import { globWarnings, type NamedGlob } from '../node/globs.ts'
import { applyBaseline, regressionChecker, renderBaselineTerminal, writeOutput, writeRunOutputs, type RunContext } from '../node/run-outputs.ts'
import { checkBudget, judge, WORKER_LABELS } from '../shared/budget.ts'
import { byText } from '../shared/order.ts'
import { FINISHED_SUFFIX, type FileMemory, type FinishedReading, type TestMemory } from '../types.ts'
import { type MemoryReport, type ReportFile, type ReportInterrupted, type ReportTest, type ReportWorker } from './json.ts'
import { renderSummary } from './terminal.ts'

const require = createRequire(import.meta.url)
const VERSION = (require('../../package.json') as { version: string }).version

interface ModuleRecord {
  /** `moduleKey` of its module. */
  key: string
  file?: ReportFile
  tests: ReportTest[]
  /** Ids of the module's tests that ran but whose reading never arrived (their worker died first). */
  undelivered: Set<string>
  /** `key(project, file, name)` of the module's tests without a reading (skipped, todo, concurrent): a baseline update keeps their entries. */
  unmeasured: string[]
}

function moduleKey(module: TestModule): string {
  return `${module.project.name}\0${module.moduleId}`
}

function isTest(m: unknown): m is TestMemory {
  return typeof m === 'object' && m !== null && (m as TestMemory).kind === 'test'
}
function isFile(m: unknown): m is FileMemory {
  return typeof m === 'object' && m !== null && (m as FileMemory).kind === 'file'
}

export class MemoryReporter implements Reporter {
  private vitest!: Vitest
  // Keyed by project + module id. Kept across watch-mode re-runs, so the report stays whole. Only
  // Vitest's own modules are kept: their tests' readings are in the meta Vitest keeps anyway, and
  // the report's records are built from them at the end of each run and dropped once it is out.
  private modules = new Map<string, TestModule>()
  private pools = new Set<string>()
  // Readings of tests whose worker died before Vitest delivered them, by module key (see
  // mergeUndelivered): kept until that module runs again, like the readings Vitest keeps in meta.
  private recovered = new Map<string, FinishedReading[]>()
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

  // Option globs per project, and the warnings for those that match no test file (see src/node/globs.ts).
  private globChecks: Array<{ project: TestProject; globs: NamedGlob[] }> = []
  private globWarnings: string[] = []

  checkGlobs(project: TestProject, globs: NamedGlob[]): void {
    if (globs.length) this.globChecks.push({ project, globs })
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

  private collect(module: TestModule): ModuleRecord {
    const file = this.relative(module.moduleId)
    const project = module.project.name
    const tests: ReportTest[] = []
    const unmeasured: string[] = []
    const undelivered = new Set<string>()
    for (const test of module.children.allTests()) {
      const meta = test.meta().memory
      if (!isTest(meta) || meta.precision === 'shared') unmeasured.push(key(project, file, test.fullName))
      if (!isTest(meta) && test.result().state !== 'skipped') undelivered.add(test.id)
      if (!isTest(meta)) continue
      const { kind: _kind, ...memory } = meta
      const entry: ReportTest = { id: test.id, file, name: test.fullName, project, state: test.result().state, ...memory }
      if (test.location) entry.line = test.location.line
      tests.push(entry)
    }
    const fileMeta = module.meta().memory
    const record: ModuleRecord = { key: moduleKey(module), tests, unmeasured, undelivered }
    if (isFile(fileMeta)) {
      const { kind: _kind, ...memory } = fileMeta
      record.file = { file, project, tests: tests.length, testsRetained: tests.reduce((s, t) => s + t.retained, 0), ...memory }
    }
    return record
  }

  async onTestRunStart(): Promise<void> {
    this.running.clear()
    this.regressed = regressionChecker(this.options, this.vitest.config.root, this.isShardRun())
    this.watchdog?.start()
    this.globWarnings = await globWarnings(this.globChecks)
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

  /**
   * Readings a dead worker took, but had noted on disk (src/worker/note.ts `finished`): tests that
   * finished before their worker died, whose results Vitest had not sent yet. The files are read
   * only when some test that ran has no reading. Returns the ids of the tests merged.
   */
  private mergeUndelivered(records: ModuleRecord[]): Set<string> {
    const wanted = new Map<string, ModuleRecord>()
    for (const record of records) for (const id of record.undelivered) wanted.set(id, record)
    if (wanted.size) {
      for (const entry of this.finishedOnDisk()) {
        const record = wanted.get(entry.id)
        if (!record) continue
        wanted.delete(entry.id)
        const list = this.recovered.get(record.key) ?? []
        list.push(entry)
        this.recovered.set(record.key, list)
      }
    }
    const merged = new Set<string>()
    for (const record of records) {
      for (const entry of this.recovered.get(record.key) ?? []) {
        if (!record.undelivered.delete(entry.id)) continue
        merged.add(entry.id)
        const file = this.relative(entry.file)
        const { kind: _kind, ...memory } = entry.memory
        const test: ReportTest = { id: entry.id, file, name: entry.name, project: entry.project, state: entry.state, ...memory }
        if (entry.line !== undefined) test.line = entry.line
        record.tests.push(test)
        if (memory.precision !== 'shared') {
          const k = key(entry.project, file, entry.name)
          record.unmeasured = record.unmeasured.filter((u) => u !== k)
        }
      }
    }
    return merged
  }

  /** Every finished reading the workers of this run noted; a line cut short by a crash is skipped. */
  private finishedOnDisk(): FinishedReading[] {
    const entries: FinishedReading[] = []
    let names: string[] = []
    try {
      names = readdirSync(this.runningDir).filter((n) => n.endsWith(FINISHED_SUFFIX))
    } catch {
      return entries
    }
    for (const name of names) {
      let text = ''
      try {
        text = readFileSync(join(this.runningDir, name), 'utf8')
      } catch {
        continue
      }
      for (const line of text.split('\n')) {
        if (!line) continue
        try {
          entries.push(JSON.parse(line) as FinishedReading)
        } catch {
          // The last line, cut short by the crash.
        }
      }
    }
    return entries
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
    for (const warning of this.globWarnings) this.vitest.logger.warn(warning)
    const stops = readStops(this.runningDir)
    for (const module of testModules) {
      const k = moduleKey(module)
      this.modules.set(k, module)
      this.recovered.delete(k)
    }
    const records = [...this.modules.values()].map((m) => this.collect(m))
    // A test whose reading a dead worker left on disk finished: it was not interrupted.
    const finished = this.mergeUndelivered(records)
    const interrupted = new Map<string, ReportInterrupted>()
    // Nor was one whose reading arrived: Vitest can report a test ready after its result (seen
    // about one run in six, on a loaded machine), which left it in `running` and named it as
    // having died with its worker.
    for (const t of this.running.values()) {
      if (finished.has(t.id) || isTest(t.meta().memory)) continue
      interrupted.set(t.id, { id: t.id, file: this.relative(t.module.moduleId), name: t.fullName, project: t.project.name })
    }
    for (const t of this.leftBehind()) if (!finished.has(t.id)) interrupted.set(t.id, t)
    const watchdog = applyStops(stops, interrupted, (path) => this.relative(path))
    this.running.clear()
    if (watchdog.message) process.exitCode = 1
    if (this.modules.size === 0 && interrupted.size === 0 && !watchdog.message) return
    const report = this.buildReport(records, [...interrupted.values()])
    report.notes.push(...watchdog.notes, ...this.globWarnings.map((w) => w.replace(/^vitest-memory: /, '')))
    const run = this.runContext(records, [...interrupted.values()])
    applyBaseline(report, this.options, run)
    const written = this.options.outputFile === false
      ? undefined
      : writeOutput('report', resolve(this.vitest.config.root, this.options.outputFile), () => `${JSON.stringify(report, null, 2)}\n`, run)
    writeRunOutputs(report, this.options, run, written)
    const workersOver = report.workers.filter((w) => w.verdict === 'fail')
    if (workersOver.length > 0) process.exitCode = 1
    if (this.options.terminal !== 'off') {
      const text = renderSummary(report, {
        top: this.options.top,
        full: this.options.terminal === 'full',
        reportPath: written ? this.relative(written) : undefined,
        failedWrites: run.failedWrites,
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
  private runContext(records: ModuleRecord[], interrupted: ReportInterrupted[]): RunContext {
    const unmeasured = new Set<string>()
    for (const record of records) for (const k of record.unmeasured) unmeasured.add(k)
    for (const t of interrupted) unmeasured.add(key(t.project, t.file, t.name))
    const logger = this.vitest.logger
    return {
      root: this.vitest.config.root,
      shard: this.isShardRun(),
      unmeasured,
      log: (m) => logger.log(m),
      error: (m) => logger.error(m),
      failedWrites: [],
    }
  }

  private isShardRun(): boolean {
    const config = this.vitest.config as { shard?: unknown; mergeReports?: unknown }
    return Boolean(config.shard) && !config.mergeReports
  }

  private buildReport(records: ModuleRecord[], interrupted: ReportInterrupted[]): MemoryReport {
    const tests: ReportTest[] = []
    const files: ReportFile[] = []
    for (const record of records) {
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
      entry = { id: w.id, slot: w.slot, pid: w.pid, pool: w.pool, files: 0, tests: 0, heapGrowth: 0, heapGrowthPrecision: 'exact', rssPeak: 0, series: [], verdict: 'unchecked' }
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
    if (first?.precision === 'estimate' || last?.precision === 'estimate') w.heapGrowthPrecision = 'estimate'
    if (!deferred) {
      const violations = checkBudget({ retained: w.heapGrowth, peak: 0, rss: w.rssPeak }, { retained: options.workerBudget.heapGrowth, rss: options.workerBudget.rss }, WORKER_LABELS)
        .map((v) => (v.metric === 'retained' ? { ...v, metric: 'heapGrowth' as const } : v))
      judge(w, violations, options.budgetMode)
    }
    result.push(w)
  }
  return result.sort((a, b) => Number(a.slot) - Number(b.slot) || byText(a.id, b.id))
}
