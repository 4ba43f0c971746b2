#!/usr/bin/env node
// `npm test`: build, typecheck, lint, then the suite on Vitest 4 (this Node) and on Vitest 5
// (Node 22 from the npm package `node`, installed under compat/vitest5 on first use).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'

// Each leg also writes Vitest's JSON results, so the last line can count every test of both legs.
const results = (leg) => resolve('test-results', `suite-${leg}.json`)
const json = (leg) => ['--reporter=default', '--reporter=json', `--outputFile.json=${results(leg)}`]

const steps = [
  ['build', ['npm', 'run', '--silent', 'build']],
  ['typecheck', ['npm', 'run', '--silent', 'typecheck']],
  ['lint', ['npm', 'run', '--silent', 'lint']],
  ['suite on Vitest 4', ['npx', 'vitest', 'run', ...json('v4')]],
  ['suite on Vitest 5', ['node', 'scripts/test-v5.mjs', ...json('v5')]],
]
const only = process.argv.slice(2)
for (const leg of ['v4', 'v5']) rmSync(results(leg), { force: true })
for (const [name, [cmd, ...args]] of steps) {
  if (only.length && !only.some((o) => name.includes(o))) continue
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`)
  const result = spawnSync(cmd, args, { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`\n=== ${name} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status || 1)
  }
}
let passed = 0
let failed = 0
for (const leg of ['v4', 'v5']) {
  if (!existsSync(results(leg))) continue
  const r = JSON.parse(readFileSync(results(leg), 'utf8'))
  passed += r.numPassedTests
  failed += r.numFailedTests
}
console.log('\n=== all steps passed')
console.log(`${passed} passed, ${failed} failed`)
