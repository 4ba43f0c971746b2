/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import type { Vitest } from 'vitest/node'
import { VIRTUAL_SETUP_ID } from '../constants.ts'
import { MemoryReporter } from '../reporters/memory-reporter.ts'
import { PROVIDE_KEY, type WorkerOptions } from '../types.ts'
import { resolveOptions, type MemoryOptions } from './options.ts'

const WORKER_ENTRY = fileURLToPath(new URL('../worker/setup.js', import.meta.url))

// One reporter per Vitest instance, however many projects carry the plugin.
const reporterFor = new WeakMap<Vitest, MemoryReporter>()

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
  return {
    name: 'vitest-memory',
    // Setup files inside node_modules are not re-run per file when a worker runs several files
    // (vm pools, isolate: false); a virtual module is.
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
      const workerOptions: WorkerOptions = {
        mode: resolved.mode,
        budget: resolved.budget,
        fileBudget: resolved.fileBudget,
        budgetMode: resolved.budgetMode,
        overrides: resolved.overrides,
        root: project.config.root,
        pool,
        runningDir: reporter.runningDir,
      }
      project.provide(PROVIDE_KEY, workerOptions)
      if (!project.config.setupFiles.includes(VIRTUAL_SETUP_ID)) project.config.setupFiles.unshift(VIRTUAL_SETUP_ID)
    },
  }
}
