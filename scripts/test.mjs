#!/usr/bin/env node
// `npm test`: build, typecheck, lint, then the suite on Vitest 4 (this Node) and on Vitest 5
// (Node 22 from the npm package `node`, installed under compat/vitest5 on first use).
import { spawnSync } from 'node:child_process'

const steps = [
  ['build', ['npm', 'run', '--silent', 'build']],
  ['typecheck', ['npm', 'run', '--silent', 'typecheck']],
  ['lint', ['npm', 'run', '--silent', 'lint']],
  ['suite on Vitest 4', ['npx', 'vitest', 'run']],
  ['suite on Vitest 5', ['node', 'scripts/test-v5.mjs']],
]
const only = process.argv.slice(2)
for (const [name, [cmd, ...args]] of steps) {
  if (only.length && !only.some((o) => name.includes(o))) continue
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`)
  const result = spawnSync(cmd, args, { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`\n=== ${name} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status || 1)
  }
}
console.log('\n=== all steps passed')
