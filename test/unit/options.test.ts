import { describe, expect, test } from 'vitest'
import { MemoryOptionsError, resolveOptions } from '../../src/node/options.ts'

describe('resolveOptions', () => {
  test('defaults', () => {
    expect(resolveOptions({}, {})).toEqual({
      mode: 'auto',
      budget: {},
      fileBudget: {},
      workerBudget: {},
      budgetMode: 'fail',
      overrides: [],
      outputFile: '.vitest-memory/report.json',
      top: 5,
      terminal: 'auto',
    })
  })

  test('sizes are parsed everywhere they appear', () => {
    const resolved = resolveOptions({
      budget: { retained: '1 MB', peak: '50MB', rss: 200_000_000 },
      fileBudget: { retained: '2 GiB' },
      workerBudget: { heapGrowth: '2 GB', rss: '4 GB' },
      overrides: [{ files: 'test/db/**', budget: { retained: '512 KiB' } }],
    }, {})
    expect(resolved.budget).toEqual({ retained: 1_000_000, peak: 50_000_000, rss: 200_000_000 })
    expect(resolved.fileBudget).toEqual({ retained: 2 * 1024 ** 3 })
    expect(resolved.workerBudget).toEqual({ heapGrowth: 2e9, rss: 4e9 })
    expect(resolved.overrides).toEqual([{ files: ['test/db/**'], budget: { retained: 524_288 } }])
  })

  test('every problem is listed in one error', () => {
    let error: unknown
    try {
      resolveOptions({ mode: 'fast', budget: { retained: '5 MX', peek: '1 MB' }, top: -1, colour: true }, {})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(MemoryOptionsError)
    const message = (error as Error).message
    expect(message).toMatch(/^vitest-memory: invalid options:\n/)
    expect(message).toContain(`colour is not an option. Known options: mode, budget`)
    expect(message).toContain(`mode must be one of 'auto', 'exact', got "fast"`)
    expect(message).toContain('budget.peek is not an option: did you mean budget.peak?')
    expect(message).toContain('budget.retained: "5 MX" is not a size')
    expect(message).toContain('top must be a whole number of tests (0 or more), got -1')
  })

  test.each([
    [{ budget: { retained: '5 MB', peak: '1 MB' } }, 'budget.retained is larger than budget.peak'],
    [{ overrides: [{ files: [] , budget: {} }] }, 'overrides[0].files must be a glob or a non-empty list of globs'],
    [{ overrides: [{ files: 'x/**' }] }, 'overrides[0] sets nothing for x/**'],
    [{ overrides: {} }, 'overrides must be an array'],
    [{ outputFile: '' }, 'outputFile must be a path'],
    [{ outputFile: 'report.txt' }, 'outputFile must end in .json'],
    [{ budgetMode: 'loud' }, `budgetMode must be one of 'fail', 'warn', 'off'`],
    [{ terminal: 'on' }, `terminal must be one of 'auto', 'full', 'off'`],
    [{ budget: '1 MB' }, `budget must be an object like { retained: '1 MB' }`],
    [{ workerBudget: { growth: '2 GB' } }, 'workerBudget.growth is not an option'],
  ])('%j is rejected: %s', (options, message) => {
    expect(() => resolveOptions(options, {})).toThrow(message)
  })

  test('options must be an object', () => {
    expect(() => resolveOptions('1 MB', {})).toThrow(/options must be an object/)
  })

  test('VITEST_MEMORY_MODE overrides mode, and is validated', () => {
    expect(resolveOptions({ mode: 'auto' }, { VITEST_MEMORY_MODE: 'exact' }).mode).toBe('exact')
    expect(resolveOptions({ mode: 'exact' }, { VITEST_MEMORY_MODE: '' }).mode).toBe('exact')
    expect(() => resolveOptions({}, { VITEST_MEMORY_MODE: 'fast' })).toThrow(/VITEST_MEMORY_MODE \(environment\) must be one of 'auto', 'exact'/)
  })

  test('outputFile false writes no report', () => {
    expect(resolveOptions({ outputFile: false }, {}).outputFile).toBe(false)
  })
})
