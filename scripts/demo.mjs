#!/usr/bin/env node
// `npm run demo`: run the plugin on the bundled examples, the way a user runs Vitest.
// The leaky examples are supposed to fail: that is what the plugin is for. The demo itself
// exits 0 unless an example did something other than what it is there to show.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

const examples = [
  { name: 'basic', expect: 0, about: 'clean tests: one quiet line' },
  { name: 'leaky', expect: 1, about: 'leaks from real incidents, and controls that must not be flagged' },
  { name: 'db', expect: 1, about: 'MEM-001: a new engine per test next to the per-worker fixture' },
].filter((e) => existsSync(join(repo, 'examples', e.name)))

let unexpected = 0
for (const example of examples) {
  const root = join(repo, 'examples', example.name)
  console.log(`\n${'='.repeat(80)}\n examples/${example.name}: ${example.about}\n${'='.repeat(80)}`)
  const result = spawnSync(process.execPath, [vitest, 'run'], { cwd: root, stdio: 'inherit', env: { ...process.env, VITEST_MEMORY_MODE: process.env.VITEST_MEMORY_MODE ?? '' } })
  const report = join('examples', example.name, '.vitest-memory/report.json')
  if (result.status === example.expect) {
    console.log(`\n-> examples/${example.name}: exit ${result.status}, as expected${example.expect ? ' (memory budgets broken: the run fails, which is the point)' : ''}. JSON report: ${report}`)
  } else {
    unexpected++
    console.log(`\n-> examples/${example.name}: exit ${result.status ?? result.signal}, expected ${example.expect}!`)
  }
}
console.log(unexpected ? `\n${unexpected} example(s) did not behave as expected.` : '\nDemo done: every example behaved as expected.')
process.exit(unexpected ? 1 : 0)
