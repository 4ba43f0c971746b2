// The packed tarball: what is in it, and what publint and @arethetypeswrong/cli say of it.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { repoDir } from '../helpers/run-vitest.ts'
import { pack, packageDir, type Packed } from './pack.ts'

const require = createRequire(import.meta.url)
let packed: Packed
beforeAll(() => {
  packed = pack()
}, 120_000)
afterAll(() => {
  if (packed) rmSync(dirname(packed.tarball), { recursive: true, force: true })
})

test('the tarball holds the built entry points and their imports, and nothing from the repo around them', () => {
  const { files } = packed
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }>; bin: Record<string, string> }
  // Every export and its types is in the tarball, and so is the bin.
  for (const target of Object.values(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
      expect(files).toContain(file.replace(/^\.\//, ''))
    }
  }
  for (const bin of Object.values(pkg.bin)) expect(files).toContain(bin.replace(/^\.\//, ''))
  // Every relative import of every shipped module is shipped too (seeds/002's BUG-001).
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(join(packageDir, file), 'utf8')
    for (const [, fromSpec, bareSpec] of source.matchAll(/^(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|^import\s*['"](\.[^'"]+)['"]/gm)) {
      const spec = fromSpec ?? bareSpec
      const target = new URL(spec!, `file:///${file}`).pathname.slice(1)
      expect(files, `${file} imports ${spec}`).toContain(target)
    }
  }
  // The worker entries the plugin puts in setupFiles (by path, not through exports).
  expect(files).toContain('dist/worker/setup.js')
  expect(files).toContain('dist/worker/install.js')
  // Only what is meant: the build (modules, their declarations, the HTML report's client files),
  // the report schema, the readme, the licence. No source maps, build info, tests or fixtures.
  const unexpected = files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f) && !/^dist\/reporters\/html-template\/[\w-]+\.(js|css)$/.test(f) && !['docs/report-schema.json', 'README.md', 'LICENSE', 'package.json'].includes(f))
  expect(unexpected).toEqual([])
  expect(files.filter((f) => /\.(test|spec)\.|(^|\/)fixtures?\/.*\.(db|sqlite|json)$/.test(f))).toEqual([])
  // Every module comes from a source file that exists now: a dist/ left from an older build
  // (a module since moved or deleted) would ship dead files. Fix: rm -rf dist && npm run build.
  const sourceDir = existsSync(join(packageDir, 'src')) ? join(packageDir, 'src') : join(repoDir, 'src')
  const fromSource = (f: string) => {
    const path = f.replace(/^dist\//, '')
    // tsc output comes from a .ts; the HTML report's client files are copied as they are.
    return existsSync(join(sourceDir, path.replace(/(\.d)?\.ts$|\.js$/, '.ts'))) || existsSync(join(sourceDir, path))
  }
  const stale = files.filter((f) => f.startsWith('dist/') && !fromSource(f))
  expect(stale, 'dist/ has modules with no source in src/: rm -rf dist && npm run build').toEqual([])
})

test('publint finds nothing, warnings and suggestions included', async () => {
  const data = readFileSync(packed.tarball)
  const { messages, pkg } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer }, strict: true, level: 'suggestion' })
  expect(messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg) ?? ''}`)).toEqual([])
})

test('@arethetypeswrong/cli finds no problem for ESM users (esm-only profile), on every entry point', () => {
  const attw = join(dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js')
  // --no-definitely-typed: the package ships its own types, and attw asks the registry for @types otherwise.
  const r = spawnSync(process.execPath, [attw, packed.tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  const result = JSON.parse(r.stdout) as { analysis: { entrypoints: Record<string, unknown> }; problems: Record<string, Array<{ entrypoint: string; resolutionKind: string }>> }
  expect(Object.keys(result.analysis.entrypoints).sort()).toEqual(['.', './db', './db/postgres', './matchers', './package.json', './runtime'])
  // The report lists every resolution; the esm-only profile judges ESM users' two (node16 from
  // ESM, bundler) and leaves out node10 and require() from CJS, which an ESM-only package has not.
  const forEsm = Object.values(result.problems).flat().filter((p) => p.resolutionKind === 'node16-esm' || p.resolutionKind === 'bundler')
  expect(forEsm).toEqual([])
  expect(r.status, r.stdout + r.stderr).toBe(0)
})

