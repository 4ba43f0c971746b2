import { describe, expect, test } from 'vitest'
import { totalmem } from 'node:os'
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
      watchdog: { rss: expect.any(Number), interval: 100 },
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
    [{ watchdog: 'on' }, `watchdog must be true, false or an object like { rss: '4 GB' }, got "on"`],
    [{ watchdog: { rs: '1 GB' } }, 'watchdog.rs is not an option: did you mean watchdog.rss?'],
    [{ watchdog: { rss: '4 GX' } }, 'watchdog.rss: "4 GX" is not a size'],
    [{ watchdog: { rss: '5 MB' } }, 'watchdog.rss: "5 MB" is 5000000 bytes, below what an idle Vitest worker already uses: every worker would be stopped at once. Use at least 100 MB, or watchdog: false'],
    [{ watchdog: { rss: '150%' } }, `watchdog.rss: "150%" must be a share of the machine's memory between 0% and 100%, e.g. '50%'`],
    [{ watchdog: { rss: '0%' } }, `watchdog.rss: "0%" must be a share of the machine's memory`],
    [{ watchdog: { interval: 5 } }, 'watchdog.interval must be a number of milliseconds between 10 and 60000, got 5'],
    [{ watchdog: { interval: '100ms' } }, 'watchdog.interval must be a number of milliseconds between 10 and 60000, got "100ms"'],
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

  test('watchdog: on by default at half the memory, every 100 ms; sizes, shares and false', () => {
    const memory = 16e9
    expect(resolveOptions({}, {}, memory).watchdog).toEqual({ rss: 8e9, interval: 100 })
    expect(resolveOptions({ watchdog: true }, {}, memory).watchdog).toEqual({ rss: 8e9, interval: 100 })
    expect(resolveOptions({ watchdog: {} }, {}, memory).watchdog).toEqual({ rss: 8e9, interval: 100 })
    expect(resolveOptions({ watchdog: false }, {}, memory).watchdog).toBe(false)
    expect(resolveOptions({ watchdog: { rss: '4 GB', interval: 250 } }, {}, memory).watchdog).toEqual({ rss: 4e9, interval: 250 })
    expect(resolveOptions({ watchdog: { rss: '25%' } }, {}, memory).watchdog).toEqual({ rss: 4e9, interval: 100 })
    expect(resolveOptions({ watchdog: { rss: 2 * 1024 ** 3 } }, {}, memory).watchdog).toEqual({ rss: 2 * 1024 ** 3, interval: 100 })
    // On a machine too small for the default to mean anything it is off; asked for, it is an error.
    expect(resolveOptions({}, {}, 150e6).watchdog).toBe(false)
    expect(() => resolveOptions({ watchdog: { rss: '50%' } }, {}, 150e6)).toThrow('watchdog.rss: "50%" is 75000000 bytes, below what an idle Vitest worker already uses')
  })

  test('the default limit comes from the memory of this machine (or its container limit)', () => {
    const { rss } = resolveOptions({}, {}).watchdog as { rss: number }
    expect(rss).toBeGreaterThan(0)
    expect(rss).toBeLessThanOrEqual(Math.round(totalmem() / 2))
  })
})
