import { expect, test } from 'vitest'
import { runFixture } from '../helpers/run-vitest.ts'

const cases: Array<[string, unknown, RegExp]> = [
  ['a bad size', { budget: { retained: '5 MX' } }, /budget\.retained: "5 MX" is not a size\. Use a number of bytes or a string like "512 KB"/],
  ['an unknown option with a suggestion', { budgt: {} }, /budgt is not an option: did you mean budget\?/],
  ['a negative number', { budget: { peak: -1 } }, /budget\.peak must be a non-negative number of bytes/],
  ['a contradiction', { budget: { retained: '5 MB', peak: '1 MB' } }, /budget\.retained is larger than budget\.peak/],
  ['a bad mode', { mode: 'fast' }, /mode must be one of 'auto', 'exact', got "fast"/],
]

test.each(cases)('%s stops the run with a message naming the option and the fix', async (_name, options, message) => {
  const { code, output, report } = await runFixture('options', ['run'], { env: { MEMORY_OPTIONS: JSON.stringify(options) } })
  expect(code).not.toBe(0)
  expect(output).toMatch(message)
  expect(output).toContain('MemoryOptionsError')
  expect(report).toBeUndefined()
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
