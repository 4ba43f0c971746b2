#!/usr/bin/env node
// Part of `npm run build`: tsc compiles src/ to dist/, this copies what tsc does not: the HTML
// report's client script and styles (src/reporters/html-template/), which are read at runtime.
import { cpSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
cpSync(join(root, 'src/reporters/html-template'), join(root, 'dist/reporters/html-template'), { recursive: true })
