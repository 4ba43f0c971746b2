#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the worker entry (dist/worker/setup.js and the
// dist modules it imports) into that one file, in place. Every test file's fresh worker imports
// it, and one module resolves, loads and links in about half the time of the ~15 it was made of.
// Packages (vitest, the lazily required runtime dependencies) and node: builtins stay imports.
// The other dist modules stay as tsc wrote them, for the package's other entry points; state
// that both copies must share lives on globalThis under Symbol.for keys (see src/worker/slot.ts).
import { renameSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown } from 'rolldown'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist/worker/setup.js')
const bundle = await rolldown({
  input: entry,
  platform: 'node',
  // Relative imports are ours and go in; anything else is a package or a builtin.
  external: (id, importer) => importer !== undefined && !id.startsWith('.') && !isAbsolute(id),
  logLevel: 'warn',
})
const temporary = `${entry}.bundle`
await bundle.write({ file: temporary, format: 'esm', comments: { legal: false, annotation: false, jsdoc: false } })
await bundle.close()
renameSync(temporary, entry)
