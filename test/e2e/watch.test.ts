import { spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { copyFixture, vitestCli } from '../helpers/run-vitest.ts'

test('watch mode: a re-run updates the report and keeps the files that did not re-run', async () => {
  const dir = copyFixture('watch')
  const child = spawn(process.execPath, [vitestCli, 'watch'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', VITEST_MEMORY_MODE: '' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  const waitFor = (count: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for summary #${count}:\n${output}`)), 60_000)
    const check = () => {
      if ((output.match(/ MEMORY /g) ?? []).length >= count) {
        clearTimeout(timer)
        resolve()
      } else setTimeout(check, 100)
    }
    check()
  })
  child.stdout.on('data', (d: Buffer) => { output += d })
  child.stderr.on('data', (d: Buffer) => { output += d })
  const readReport = () => JSON.parse(readFileSync(join(dir, '.vitest-memory/report.json'), 'utf8')) as MemoryReport
  try {
    await waitFor(1)
    const firstRun = readReport()
    expect(firstRun.tests.map((t) => t.name).sort()).toEqual(['first', 'second'])

    writeFileSync(join(dir, 'second.test.ts'), `import { expect, test } from 'vitest'\n\nconst kept: number[][] = []\ntest('second, edited', () => {\n  kept.push(new Array(375_000).fill(0.5))\n  expect(kept).toHaveLength(1)\n})\n`)
    await waitFor(2)
    const secondRun = readReport()
    expect(secondRun.tests.map((t) => t.name).sort()).toEqual(['first', 'second, edited'])
    expect(secondRun.tests.find((t) => t.name === 'first')?.at).toBe(firstRun.tests.find((t) => t.name === 'first')?.at)
    expect(secondRun.tests.find((t) => t.name === 'second, edited')?.verdict).toBe('fail')
  } finally {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})
