// The packed tarball installed into a fresh project outside the repo, as a user installs it, and
// a small suite run there with the Vitest and Node this leg runs on (Vitest 4.1 on Node 20, or
// Vitest 5 on Node 22 in scripts/test-v5.mjs). Then TypeScript users' configs type-check with
// moduleResolution bundler and nodenext. npm installs with --prefer-offline: what `npm ci` already
// fetched comes from npm's cache.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { pack } from './pack.ts'

const require = createRequire(import.meta.url)
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version
const nodeMajor = process.versions.node.split('.')[0]!
const nodeTypes = version('@types/node').startsWith(`${nodeMajor}.`) ? version('@types/node') : `^${nodeMajor}`
const project = mkdtempSync(join(tmpdir(), 'vitest-memory-user-'))
let tarball = ''

beforeAll(() => {
  tarball = pack().tarball
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({
    name: 'a-user-project',
    private: true,
    type: 'module',
    // The versions this suite runs on, so npm finds them in its cache; Node's types for the Node
    // running (Vitest 5 asks for @types/node 22 or later).
    devDependencies: { vitest: version('vitest'), '@types/node': nodeTypes, 'vitest-memory': `file:${tarball}` },
  }, null, 2)}\n`)
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] })
}, 600_000)
afterAll(() => {
  rmSync(project, { recursive: true, force: true })
  if (tarball) rmSync(dirname(tarball), { recursive: true, force: true })
})

function write(files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(project, name)), { recursive: true })
    writeFileSync(join(project, name), text)
  }
}

test('installed from the tarball, the plugin measures a user suite and fails the test over its budget', () => {
  // npm unpacked the tarball into the project and installed its runtime dependencies beside it.
  const installed = join(project, 'node_modules', 'vitest-memory')
  expect(readFileSync(join(installed, 'package.json'), 'utf8')).toBe(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }))
  const { dependencies } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  for (const name of Object.keys(dependencies)) expect(existsSync(join(project, 'node_modules', name, 'package.json')), name).toBe(true)
  write({
    'vitest.config.ts': `import { defineConfig } from 'vitest/config'
import memory from 'vitest-memory'

export default defineConfig({
  plugins: [memory({ budget: { retained: '1 MB' } })],
})
`,
    'app.test.ts': `import { expect, test } from 'vitest'
import { setMemoryBudget } from 'vitest-memory/runtime'

const cache: number[][] = []

test('adds numbers', () => {
  expect(1 + 1).toBe(2)
})

test('keeps 8 MB in a module-level cache', () => {
  // 8 arrays of 131,072 small integers: 1 MB each on the heap.
  for (let i = 0; i < 8; i++) cache.push(new Array(131_072).fill(i))
  expect(cache).toHaveLength(8)
})

test('a bigger budget of its own', () => {
  setMemoryBudget({ retained: '32 MB' })
  for (let i = 0; i < 4; i++) cache.push(new Array(131_072).fill(i))
})
`,
  })
  const r = spawnSync(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', VITEST_MEMORY_MODE: '' }, timeout: 170_000 })
  const output = `${r.stdout}\n${r.stderr}`
  expect(r.status, output).toBe(1)
  expect(output).toMatch(/MemoryBudgetError: retained [\d.]+ MB after GC, budget 1 MB/)
  const report = JSON.parse(readFileSync(join(project, '.vitest-memory', 'report.json'), 'utf8')) as MemoryReport
  expect(report.environment.vitest).toBe(version('vitest'))
  expect(report.environment.node).toBe(process.version)
  const verdicts = Object.fromEntries(report.tests.map((t) => [t.name, t.verdict]))
  expect(verdicts).toEqual({ 'adds numbers': 'pass', 'keeps 8 MB in a module-level cache': 'fail', 'a bigger budget of its own': 'pass' })
}, 180_000)

describe('TypeScript users type-check a vitest.config.ts that uses the plugin', () => {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
  const config = `import { defineConfig } from 'vitest/config'
import memory from 'vitest-memory'
import type { MemoryReport } from 'vitest-memory'

export default defineConfig({
  plugins: [memory({ budget: { retained: '1 MB', peak: 64 * 1024 * 1024 }, fileBudget: { rss: '24 MB' } })],
})
export type Reported = MemoryReport['tests'][number]['verdict']
`
  const tsconfig = (module: string, moduleResolution: string, include: string[]) => JSON.stringify({
    compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
    include,
  })
  const typecheck = (name: string) => spawnSync(process.execPath, [tsc, '-p', name], { cwd: project, encoding: 'utf8' })

  for (const [module, moduleResolution] of [['ESNext', 'bundler'], ['NodeNext', 'NodeNext']] as const) {
    test(`moduleResolution ${moduleResolution}: no errors, our declarations included (skipLibCheck off)`, () => {
      write({ 'tsconfig.check.json': tsconfig(module, moduleResolution, ['check.config.ts']), 'check.config.ts': config })
      const r = typecheck('tsconfig.check.json')
      expect(r.stdout + r.stderr).toBe('')
      expect(r.status).toBe(0)
    })
  }

  test('the check is real: a misspelt option is an error', () => {
    write({
      'tsconfig.bad.json': tsconfig('ESNext', 'bundler', ['bad.config.ts']),
      'bad.config.ts': config.replace('fileBudget:', 'fileBudgett:'),
    })
    const r = typecheck('tsconfig.bad.json')
    expect(r.status).not.toBe(0)
    expect(r.stdout).toMatch(/bad\.config\.ts.*'fileBudgett' does not exist/)
  })
})
