// A report that cannot be written fails the run, the summary line says so, and no report from an
// earlier run is left where this run's should be.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { copyFixture, runVitest } from '../helpers/run-vitest.ts'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const run = (options: object) => runVitest(dir!, ['run'], { env: { MEMORY_OPTIONS: JSON.stringify(options) } })

test('a report folder that is a file: the write error, then a summary line that says the run fails because of it', async () => {
  dir = copyFixture('options')
  // A path whose parent is a file cannot be written, even by root.
  writeFileSync(join(dir, 'blocked'), 'not a folder\n')
  const { code, output, stdout } = await run({ outputFile: 'blocked/report.json', html: 'blocked/report.html', markdown: 'summary.md' })
  expect(code, output).toBe(1)
  expect(output).toMatch(/vitest-memory: could not write the report to \S+blocked\/report\.json: (EEXIST|ENOTDIR)/)
  expect(output).toMatch(/vitest-memory: could not write the HTML report to \S+blocked\/report\.html: (EEXIST|ENOTDIR)/)
  const summary = stdout.split('\n').find((l) => l.includes(' MEMORY '))
  expect(summary, stdout).toMatch(/all within budget · the run fails: could not write the report blocked\/report\.json \((EEXIST|ENOTDIR)\), the HTML report blocked\/report\.html \((EEXIST|ENOTDIR)\) · /)
  expect(stdout).not.toMatch(/· report blocked/)
  // The Markdown summary, which could be written, says it in its headline too.
  expect(readFileSync(join(dir, 'summary.md'), 'utf8').split('\n')[0]).toMatch(/^## ❌ vitest-memory: all within budget · the run fails: could not write the report blocked\/report\.json \((EEXIST|ENOTDIR)\), the HTML report blocked\/report\.html \((EEXIST|ENOTDIR)\)$/)
})

test('a report that cannot be replaced: the previous run\'s report is removed, not left stale', async () => {
  dir = copyFixture('options')
  // Linux takes 255 bytes per name: the report's name fits, the temporary file it is written to first does not.
  const name = `${'r'.repeat(240)}.json`
  mkdirSync(join(dir, 'out'))
  const stale = join(dir, 'out', name)
  writeFileSync(stale, '{"stale": true}\n')
  const { code, output, stdout } = await run({ outputFile: `out/${name}` })
  expect(code, output).toBe(1)
  expect(output).toMatch(/could not write the report to \S+: ENAMETOOLONG.*The previous run's report there was removed/s)
  expect(existsSync(stale)).toBe(false)
  expect(stdout).toMatch(/the run fails: could not write the report out\/r+\.json \(ENAMETOOLONG\)/)
})
