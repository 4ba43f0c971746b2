// An install without the optional peers: the built package next to Vitest and its own
// dependencies only. `vitest-memory` loads; `vitest-memory/db` fails with a message naming
// the packages to install.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'

const require = createRequire(import.meta.url)

/** The directory of an installed package, found from `from` (works for packages that do not export package.json). */
function packageRoot(name: string, from: string): string {
  let dir = dirname(createRequire(from).resolve(name))
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json for ${name}`)
    dir = up
  }
  return realpathSync(dir)
}

let app: string

beforeAll(() => {
  // This repository (Vitest 4 leg) or the packed install (Vitest 5 leg).
  const pkgDir = dirname(require.resolve('vitest-memory/package.json'))
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  app = mkdtempSync(join(tmpdir(), 'vitest-memory-nopeers-'))
  const target = join(app, 'node_modules', 'vitest-memory')
  mkdirSync(target, { recursive: true })
  cpSync(join(pkgDir, 'dist'), join(target, 'dist'), { recursive: true })
  cpSync(join(pkgDir, 'package.json'), join(target, 'package.json'))
  for (const dep of ['vitest', ...Object.keys(pkg.dependencies ?? {})]) {
    // Scoped packages (@jridgewell/trace-mapping) need their scope folder first.
    const link = join(app, 'node_modules', dep)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(packageRoot(dep, join(pkgDir, 'package.json')), link, 'dir')
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }))
})

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true })
})

function load(specifier: string): string {
  const script = `import(${JSON.stringify(specifier)}).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }).trim()
}

test('without better-sqlite3 and drizzle-orm, vitest-memory loads and vitest-memory/db explains what to install', () => {
  expect(existsSync(join(app, 'node_modules', 'better-sqlite3'))).toBe(false)
  expect(load('vitest-memory')).toBe('loaded')
  expect(load('vitest-memory/db')).toBe(
    'DbFixtureError: vitest-memory/db: the DB fixtures need the optional peer dependencies better-sqlite3 (^12) and drizzle-orm (>=0.44 <1); ' +
      'better-sqlite3 and drizzle-orm are not installed. Install them next to vitest-memory: npm install --save-dev better-sqlite3 drizzle-orm ' +
      "(the memory plugin itself, 'vitest-memory', does not need them).",
  )
})
