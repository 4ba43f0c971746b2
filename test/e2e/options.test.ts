import { expect, test } from 'vitest'
import { runFixture } from '../helpers/run-vitest.ts'

const cases: Array<[string, unknown, RegExp]> = [
  ['a bad size', { budget: { retained: '5 MX' } }, /budget\.retained: "5 MX" is not a size\. Use a number of bytes or a string like "512 KB"/],
  ['an unknown option with a suggestion', { budgt: {} }, /budgt is not an option: did you mean budget\?/],
  ['a negative number', { budget: { peak: -1 } }, /budget\.peak must be a non-negative number of bytes/],
  ['a contradiction', { budget: { retained: '5 MB', peak: '1 MB' } }, /budget\.retained is larger than budget\.peak/],
  ['a bad mode', { mode: 'fast' }, /mode must be one of 'auto', 'exact', got "fast"/],
  ['a glob that cannot compile', { overrides: [{ files: ['test/**', '['], budget: { retained: '1 MB' } }] }, /overrides\[0\]\.files: '\[' is not a glob picomatch can read \(Missing closing: "\]"/],
  ['a glob that can never match', { repeat: { files: 'test/**/*.{ts' } }, /repeat\.files: 'test\/\*\*\/\*\.\{ts' is not a glob picomatch can read \(Missing closing: "\}"/],
]

test.each(cases)('%s stops the run with a message naming the option and the fix', async (_name, options, message) => {
  const { code, output, report } = await runFixture('options', ['run'], { env: { MEMORY_OPTIONS: JSON.stringify(options) } })
  expect(code).not.toBe(0)
  expect(output).toMatch(message)
  expect(output).toContain('MemoryOptionsError')
  expect(report).toBeUndefined()
})

test('an option error is the message alone, after Vitest\'s Startup Error banner: no stack of ours or of Vite\'s config loader', async () => {
  const { code, stderr } = await runFixture('options', ['run'], { env: { MEMORY_OPTIONS: JSON.stringify({ budget: { retained: 'abc' } }) } })
  expect(code).toBe(1)
  const shown = stderr.slice(stderr.indexOf('Startup Error'))
  expect(shown, stderr).toMatch(/^Startup Error ⎯+\nMemoryOptionsError: vitest-memory: invalid option:\n {2}- budget\.retained: "abc" is not a size\. [^\n]+\n\s*$/)
  expect(stderr).not.toMatch(/^\s+at /m)
})

test('valid options run normally and write the report where asked', async () => {
  const { code, output, report } = await runFixture('options', ['run'], {
    env: { MEMORY_OPTIONS: JSON.stringify({ outputFile: 'out/memory.json', budget: { retained: '512 KiB' } }) },
    reportFile: 'out/memory.json',
  })
  expect(code, output).toBe(0)
  expect(report?.budgets.budget.retained).toBe(524_288)
  expect(output).toContain('report out/memory.json')
})
