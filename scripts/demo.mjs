#!/usr/bin/env node
// `npm run demo`: run the plugin on the bundled examples, the way a user runs Vitest.
// The leaky examples are supposed to fail: that is what the plugin is for. The demo itself
// exits 0 unless an example did something other than what it is there to show.
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

const examples = [
  { name: 'basic', expect: 0, about: 'clean tests: one quiet line' },
  { name: 'leaky', expect: 1, about: 'leaks from real incidents, and controls that must not be flagged' },
  // 300 tests: Vitest's dot reporter keeps its part to a line of dots; the memory table stays.
  { name: 'db', expect: 1, about: 'MEM-001: a new engine per test next to the per-worker fixture', args: ['--reporter=dot'] },
  { name: 'db-postgres', expect: 1, about: 'MEM-001 on Postgres: a new PGlite per test next to the per-worker fixture' },
].filter((e) => existsSync(join(repo, 'examples', e.name)))

// Where the plugin writes its reports by default (src/node/report-options.ts).
const reports = [
  ['JSON', '.vitest-memory/report.json'],
  ['HTML', '.vitest-memory/report.html'],
  ['Markdown', '.vitest-memory/summary.md'],
]

let unexpected = 0
for (const example of examples) {
  const root = join(repo, 'examples', example.name)
  console.log(`\n${'='.repeat(80)}\n examples/${example.name}: ${example.about}\n${'='.repeat(80)}`)
  // The reports of an earlier demo go first, so every path printed below is this run's.
  rmSync(join(root, '.vitest-memory'), { recursive: true, force: true })
  const result = spawnSync(process.execPath, [vitest, 'run', ...(example.args ?? [])], { cwd: root, stdio: 'inherit', env: { ...process.env, VITEST_MEMORY_MODE: process.env.VITEST_MEMORY_MODE ?? '' } })
  if (result.status === example.expect) {
    console.log(`\n-> examples/${example.name}: exit ${result.status}, as expected${example.expect ? ' (memory budgets broken: the run fails, which is the point)' : ''}.`)
    for (const [kind, file] of reports) {
      const path = join('examples', example.name, file)
      console.log(`   ${kind.padEnd(8)} ${existsSync(join(repo, path)) ? path : `(none: ${path} was not written)`}`)
    }
  } else {
    unexpected++
    console.log(`\n-> examples/${example.name}: exit ${result.status ?? result.signal}, expected ${example.expect}!`)
  }
}
console.log(unexpected ? `\n${unexpected} example(s) did not behave as expected.` : '\nDemo done: every example behaved as expected.')
process.exit(unexpected ? 1 : 0)
