import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { expect, test } from 'vitest'

// The package as users install it: resolve our own package.json the way a user's import does.
const require = createRequire(import.meta.url)
const packageDir = dirname(require.resolve('vitest-memory/package.json'))

test('npm pack ships the built entry points and their imports, and nothing from the repo around them', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ files: Array<{ path: string }> }>
  const files = pack!.files.map((f) => f.path).sort()
  const pkg = require('vitest-memory/package.json') as { exports: Record<string, string | { types: string; default: string }> }
  // Every export and its types is in the tarball.
  for (const target of Object.values(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
      expect(files).toContain(file.replace(/^\.\//, ''))
    }
  }
  // Every relative import of every shipped module is shipped too (seeds/002's BUG-001).
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const source = execFileSync('cat', [`${packageDir}/${file}`], { encoding: 'utf8' })
    for (const [, fromSpec, bareSpec] of source.matchAll(/^(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|^import\s*['"](\.[^'"]+)['"]/gm)) {
      const spec = fromSpec ?? bareSpec
      const target = new URL(spec!, `file:///${file}`).pathname.slice(1)
      expect(files, `${file} imports ${spec}`).toContain(target)
    }
  }
  // The worker entries the plugin puts in setupFiles (by path, not through exports).
  expect(files).toContain('dist/worker/setup.js')
  expect(files).toContain('dist/worker/install.js')
  expect(files).toContain('README.md')
  expect(files).toContain('package.json')
  expect(files.filter((f) => /^(src|test|examples|bench|scripts|compat)\//.test(f))).toEqual([])
})
