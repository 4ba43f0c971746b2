// Globs of `overrides` (and `repeat.files`) that match no test file: a warning once per run that
// names the glob and what it could have meant, judged against every test file of every project,
// so a filtered run or a shard does not warn about the files it left out.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { copyFixture, runVitest } from '../helpers/run-vitest.ts'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const budget = { retained: '10 MB' }

test('an override glob that matches no test file warns once, with the files it could have meant', async () => {
  dir = copyFixture('globs')
  const options = {
    overrides: [
      { files: 'a/one.test.js', budget },
      { files: join(dir, 'b/two.test.ts'), budget },
      { files: 'two.test.ts', budget },
      // Matches b/two.test.ts, which this filtered run leaves out: no warning.
      { files: 'b/**', budget },
    ],
    repeat: { files: ['a/one.spec.ts'] },
  }
  const { code, output, report } = await runVitest(dir, ['run', 'a/'], { env: { MEMORY_OPTIONS: JSON.stringify(options) } })
  expect(code, output).toBe(0)
  const warnings = output.split('\n').filter((l) => l.startsWith('vitest-memory: '))
  // The report's notes (shown by the HTML report and the Markdown summary) say it too.
  expect(report!.notes.filter((n) => n.includes('matches no test file'))).toEqual(warnings.map((w) => w.replace(/^vitest-memory: /, '')))
  expect(warnings, output).toEqual([
    expect.stringMatching(/^vitest-memory: overrides\[0\]\.files 'a\/one\.test\.js' matches no test file, so what it sets never applies\. Did you mean 'a\/one\.test\.ts'\?/),
    expect.stringMatching(new RegExp(`^vitest-memory: overrides\\[1\\]\\.files '${join(dir, 'b/two.test.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' matches no test file, .* Globs are matched against paths relative to the project root: did you mean 'b/two\\.test\\.ts'\\?`)),
    expect.stringMatching(/^vitest-memory: overrides\[2\]\.files 'two\.test\.ts' matches no test file, .* Did you mean '\*\*\/two\.test\.ts'\?/),
    expect.stringMatching(/^vitest-memory: repeat\.files 'a\/one\.spec\.ts' matches no test file, so no test repeats because of it\. Did you mean 'a\/one\.test\.ts'\?/),
  ])
})

test('globs that match a test file say nothing', async () => {
  dir = copyFixture('globs')
  // Repetition in warn mode and short: this test is about the globs, not about a verdict.
  const options = { overrides: [{ files: ['a/**', 'b/*.test.ts'], budget }], repeat: { files: 'b/**', runs: 2, warmup: 0 }, budgetMode: 'warn' }
  const { code, output } = await runVitest(dir, ['run'], { env: { MEMORY_OPTIONS: JSON.stringify(options) } })
  expect(code, output).toBe(0)
  expect(output).not.toContain('matches no test file')
})
