// The package as users get it: `npm pack` of the package our own imports resolve to (the repo on
// the Vitest 4 leg, the unpacked tarball under compat/vitest5 on the Vitest 5 leg).
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
export const packageDir = dirname(require.resolve('vitest-memory/package.json'))

export interface Packed {
  /** Path of the .tgz. */
  tarball: string
  /** Paths inside the package, sorted (no `package/` prefix). */
  files: string[]
}

/** `npm pack` into a fresh temporary directory (the caller removes `dirname(tarball)`). */
export function pack(): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'vitest-memory-pack-test-'))
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string; files: Array<{ path: string }> }>
  return { tarball: join(dir, packed!.filename), files: packed!.files.map((f) => f.path).sort() }
}
