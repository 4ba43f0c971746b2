/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import type { Vitest } from 'vitest/node'
import { DEFAULT_OUTPUT_FILE, VIRTUAL_SETUP_ID } from '../constants.ts'
import { MemoryReporter } from '../reporters/memory-reporter.ts'
import { PROVIDE_KEY, type ResolvedRepeat, type WorkerOptions } from '../types.ts'
import { namedGlobs } from './globs.ts'
import { escalationFor } from './report-options.ts'
import { resolveOptions, type MemoryOptions, type ResolvedMemoryOptions } from './options.ts'

const WORKER_ENTRY = fileURLToPath(new URL('../worker/setup.js', import.meta.url))
const INSTALL_ENTRY = fileURLToPath(new URL('../worker/install.js', import.meta.url))

/**
 * The setup file that installs the worker code in a project. A worker that runs several files
 * (vm pools, `isolate: false`) does not re-run a setup file inside node_modules for each one, but
 * does re-run a virtual module. Isolated forks and threads give every file a fresh worker, where
 * a plain file runs once per file too and loads faster.
 */
export function setupEntryFor(pool: string, isolate: boolean | undefined): string {
  return isolate !== false && (pool === 'forks' || pool === 'threads') ? INSTALL_ENTRY : VIRTUAL_SETUP_ID
}

// One reporter per Vitest instance, however many projects carry the plugin.
const reporterFor = new WeakMap<Vitest, MemoryReporter>()

/** Whether anything judges file figures, which then get a full GC at each end of every file. */
function needsExactFiles(resolved: ResolvedMemoryOptions, baseline: boolean): boolean {
  const any = (o: object | undefined) => o !== undefined && Object.keys(o).length > 0
  return resolved.mode === 'exact' || baseline || any(resolved.fileBudget) || any(resolved.workerBudget) || resolved.overrides.some((o) => any(o.fileBudget))
}

/** The project's better-sqlite3, if it has one, so workers can count the engines tests leave open. */
function sqliteModuleOf(root: string): { sqliteModule?: string } {
  try {
    return { sqliteModule: createRequire(join(root, 'package.json')).resolve('better-sqlite3') }
  } catch {
    return {}
  }
}

/** Ids of the tests the last report flagged (`VITEST_MEMORY_REPEAT=flagged`). */
function flaggedInLastReport(reportPath: string, log: (message: string) => void): string[] {
  let report: { tests?: Array<{ id: string; verdict: string }> }
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as typeof report
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is none' : `it could not be read (${(error as Error).message})`
    log(`vitest-memory: VITEST_MEMORY_REPEAT=flagged repeats the tests flagged in the last report, ${reportPath}, but ${why}; nothing is repeated. Run once without it first.`)
    return []
  }
  const ids = (report.tests ?? []).filter((t) => t.verdict === 'fail' || t.verdict === 'warn').map((t) => t.id)
  log(`vitest-memory: repeating the ${ids.length} test(s) flagged in ${reportPath}`)
  return ids
}

function repeatFor(resolved: ResolvedMemoryOptions, root: string, log: (message: string) => void): ResolvedRepeat {
  const reportPath = resolve(root, resolved.outputFile || DEFAULT_OUTPUT_FILE)
  const { flagged, ...repeat } = resolved.repeat
  return { ...repeat, ids: flagged ? flaggedInLastReport(reportPath, log) : [], snapshotDir: resolve(dirname(reportPath), 'snapshots') }
}

/**
 * The vitest-memory plugin: measures every test and file and enforces memory budgets.
 *
 * ```ts
 * export default defineConfig({ plugins: [memory({ budget: { retained: '1 MB' } })] })
 * ```
 * Options are validated here, when the config loads: a mistake stops the run with a message
 * naming the option and the fix.
 */
export function memory(options: MemoryOptions = {}): Plugin {
  const resolved = resolveOptions(options)
  let repeat: ResolvedRepeat | undefined
  return {
    name: 'vitest-memory',
    // The setup module of projects whose workers run several files (see setupEntryFor).
    resolveId(id) {
      return id === VIRTUAL_SETUP_ID ? VIRTUAL_SETUP_ID : undefined
    },
    load(id) {
      if (id !== VIRTUAL_SETUP_ID) return undefined
      return `import { install } from ${JSON.stringify(WORKER_ENTRY)}\ninstall()\n`
    },
    configureVitest({ vitest, project }) {
      let reporter = reporterFor.get(vitest)
      if (!reporter) {
        reporter = new MemoryReporter(resolved)
        reporterFor.set(vitest, reporter)
        vitest.config.reporters.push(reporter)
      }
      if (project.config.browser?.enabled) {
        vitest.logger.log(`vitest-memory: project "${project.name || 'default'}" runs in the browser; memory is measured in Node pools only, skipping it.`)
        return
      }
      const pool = String(project.config.pool)
      reporter.noteProject(project.name, pool)
      // Globs matched against this project's files in its workers: checked against them when a run starts.
      reporter.checkGlobs(project, namedGlobs(resolved.overrides, resolved.repeat.files))
      const workerOptions: WorkerOptions = {
        mode: resolved.mode,
        budget: resolved.budget,
        fileBudget: resolved.fileBudget,
        budgetMode: resolved.budgetMode,
        overrides: resolved.overrides,
        root: project.config.root,
        pool,
        runningDir: reporter.runningDir,
        ...sqliteModuleOf(project.config.root),
        repeat: (repeat ??= repeatFor(resolved, vitest.config.root, (m) => vitest.logger.log(m))),
        escalateAbove: escalationFor(resolved, vitest.config.root),
        exactFiles: needsExactFiles(resolved, escalationFor(resolved, vitest.config.root) !== undefined),
        diagnose: resolved.diagnose,
      }
      // GitHub annotations point at the test's line: Vitest records it only when asked.
      if (resolved.githubActions) project.config.includeTaskLocation ??= true
      project.provide(PROVIDE_KEY, workerOptions)
      const setup = setupEntryFor(pool, project.config.isolate)
      if (!project.config.setupFiles.includes(setup)) project.config.setupFiles.unshift(setup)
    },
  }
}
