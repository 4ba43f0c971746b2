import { describe, expect, test } from 'vitest'
import { totalmem } from 'node:os'
import { MemoryOptionsError, resolveOptions } from '../../src/node/options.ts'

describe('resolveOptions', () => {
  test('defaults', () => {
    // Each capability's own defaults are checked with it below; these are the core ones.
    expect(resolveOptions({}, {})).toMatchObject({
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
      repeat: { all: false, flagged: false, files: [], runs: 10, warmup: 2, sensitivity: 1_800, snapshots: false },
    })
  })

  test('repeat: options and the VITEST_MEMORY_REPEAT / VITEST_MEMORY_SNAPSHOTS switches', () => {
    expect(resolveOptions({ repeat: { files: 'test/cache/**', runs: 4, warmup: 0, sensitivity: '2 KiB' } }, {}).repeat).toMatchObject({ files: ['test/cache/**'], runs: 4, warmup: 0, sensitivity: 2048 })
    expect(resolveOptions({}, { VITEST_MEMORY_REPEAT: 'all' }).repeat.all).toBe(true)
    expect(resolveOptions({}, { VITEST_MEMORY_REPEAT: 'flagged' }).repeat.flagged).toBe(true)
    expect(resolveOptions({ repeat: { files: 'x/**' } }, { VITEST_MEMORY_REPEAT: 'off' }).repeat.files).toEqual([])
    expect(resolveOptions({}, { VITEST_MEMORY_SNAPSHOTS: '1' }).repeat.snapshots).toBe(true)
    expect(() => resolveOptions({}, { VITEST_MEMORY_REPEAT: 'some' })).toThrow(/VITEST_MEMORY_REPEAT \(environment\) must be 'all', 'flagged' or 'off'/)
    expect(() => resolveOptions({ repeat: { runs: 0 } }, {})).toThrow(/repeat\.runs must be a whole number, 1 or more, got 0/)
    expect(() => resolveOptions({ repeat: { warmup: 1.5 } }, {})).toThrow(/repeat\.warmup must be a whole number/)
    expect(() => resolveOptions({ repeat: { rnus: 3 } }, {})).toThrow(/repeat\.rnus is not an option: did you mean repeat\.runs\?/)
  })

  test('diagnose: flagged by default, all or false, VITEST_MEMORY_DIAGNOSE overrides it', () => {
    expect(resolveOptions({}, {}).diagnose).toBe('flagged')
    expect(resolveOptions({ diagnose: 'all' }, {}).diagnose).toBe('all')
    expect(resolveOptions({ diagnose: false }, {}).diagnose).toBe(false)
    expect(resolveOptions({ diagnose: 'all' }, { VITEST_MEMORY_DIAGNOSE: 'off' }).diagnose).toBe(false)
    expect(resolveOptions({ diagnose: false }, { VITEST_MEMORY_DIAGNOSE: 'flagged' }).diagnose).toBe('flagged')
    expect(() => resolveOptions({ diagnose: true }, {})).toThrow(/diagnose must be 'flagged' \(allocation sites and retainer paths for flagged tests\), 'all' \(every measured test\) or false \(none\), got true/)
    expect(() => resolveOptions({}, { VITEST_MEMORY_DIAGNOSE: 'yes' })).toThrow(/VITEST_MEMORY_DIAGNOSE \(environment\) must be 'flagged', 'all' or 'off', got "yes"/)
  })

  test('budgets take external memory (a size) and handles (a count)', () => {
    expect(resolveOptions({ budget: { external: '256 KB', handles: 0 } }, {}).budget).toEqual({ external: 256_000, handles: 0 })
    expect(() => resolveOptions({ budget: { handles: '1 MB' } }, {})).toThrow(/budget\.handles is a count of handles a test may leave open \(0 or more\), got "1 MB"/)
    expect(() => resolveOptions({ budget: { handels: 0 } }, {})).toThrow(/budget\.handels is not an option: did you mean budget\.handles\?/)
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

describe('resolveOptions: baseline, html, markdown, githubActions', () => {
  test('defaults', () => {
    expect(resolveOptions({}, {})).toMatchObject({
      baseline: {
        explicit: false,
        file: 'vitest-memory.baseline.json',
        update: false,
        mode: 'fail',
        tolerance: { retained: { relative: 0.3, absolute: 1_000_000 }, peak: { relative: 0.4, absolute: 2_000_000 } },
      },
      html: '.vitest-memory/report.html',
      markdown: '.vitest-memory/summary.md',
      githubActions: false,
    })
  })

  test('baseline options are parsed: tolerances as fractions, percentages and sizes', () => {
    const { baseline } = resolveOptions({ baseline: { file: 'memory/base.json', mode: 'warn', tolerance: { retained: { relative: '10%', absolute: '1 MB' }, peak: { relative: 0.5 } } } }, {})
    expect(baseline).toEqual({
      explicit: true,
      file: 'memory/base.json',
      update: false,
      mode: 'warn',
      tolerance: { retained: { relative: 0.1, absolute: 1_000_000 }, peak: { relative: 0.5, absolute: 2_000_000 } },
    })
    expect(resolveOptions({ baseline: false }, {}).baseline).toBe(false)
    expect(resolveOptions({ baseline: true }, {}).baseline).toMatchObject({ explicit: true, mode: 'fail' })
  })

  test.each([
    [{}, {}, false],
    [{ baseline: { update: true } }, {}, 'changed'],
    [{ baseline: { update: 'all' } }, {}, 'all'],
    [{}, { VITEST_MEMORY_UPDATE_BASELINE: '1' }, 'changed'],
    [{}, { VITEST_MEMORY_UPDATE_BASELINE: 'true' }, 'changed'],
    [{}, { VITEST_MEMORY_UPDATE_BASELINE: 'all' }, 'all'],
    [{ baseline: { update: true } }, { VITEST_MEMORY_UPDATE_BASELINE: '0' }, false],
    [{ baseline: { update: 'all' } }, { VITEST_MEMORY_UPDATE_BASELINE: '' }, 'all'],
  ])('update: options %j with environment %j gives %j', (options, env, update) => {
    const baseline = resolveOptions(options, env).baseline
    expect(baseline && baseline.update).toBe(update)
  })

  test('githubActions follows GITHUB_ACTIONS unless set', () => {
    expect(resolveOptions({}, { GITHUB_ACTIONS: 'true' }).githubActions).toBe(true)
    expect(resolveOptions({}, { GITHUB_ACTIONS: 'false' }).githubActions).toBe(false)
    expect(resolveOptions({ githubActions: false }, { GITHUB_ACTIONS: 'true' }).githubActions).toBe(false)
    expect(resolveOptions({ githubActions: true }, {}).githubActions).toBe(true)
  })

  test('html and markdown take a path or false', () => {
    expect(resolveOptions({ html: 'out/memory.html', markdown: false }, {})).toMatchObject({ html: 'out/memory.html', markdown: false })
  })

  test.each([
    [{ baseline: 'base.json' }, `baseline must be an object like { file: 'vitest-memory.baseline.json', mode: 'warn' }, or false; got "base.json"`],
    [{ baseline: { file: 'base.txt' } }, 'baseline.file must be a path ending in .json'],
    [{ baseline: { mode: 'strict' } }, `baseline.mode must be one of 'fail', 'warn', 'off', got "strict"`],
    [{ baseline: { update: 'yes' } }, `baseline.update must be true, 'changed', 'all' or false, got "yes"`],
    [{ baseline: { tolerance: { retained: { relative: '10 percent' } } } }, `baseline.tolerance.retained.relative must be a fraction of the baseline value like 0.2, or a percentage like '20%', got "10 percent"`],
    [{ baseline: { tolerance: { retained: { relative: -0.1 } } } }, 'baseline.tolerance.retained.relative must be a fraction'],
    [{ baseline: { tolerance: { peak: { absolute: '2 MX' } } } }, 'baseline.tolerance.peak.absolute: "2 MX" is not a size'],
    [{ baseline: { tolerance: { retained: '1 MB' } } }, `baseline.tolerance.retained must be an object like { relative: '20%', absolute: '500 kB' }`],
    [{ baseline: { tolerance: { retain: {} } } }, 'baseline.tolerance.retain is not an option: did you mean baseline.tolerance.retained?'],
    [{ baseline: { fiel: 'x.json' } }, 'baseline.fiel is not an option: did you mean baseline.file?'],
    [{ html: 'report.htm' }, 'html must end in .html, got "report.htm"'],
    [{ html: '' }, 'html must be a path relative to the project root (or absolute), or false for none'],
    [{ markdown: 'summary.txt' }, 'markdown must end in .md, got "summary.txt"'],
    [{ githubActions: 'yes' }, 'githubActions must be true or false (default: on when GITHUB_ACTIONS=true), got "yes"'],
  ])('%j is rejected: %s', (options, message) => {
    expect(() => resolveOptions(options, {})).toThrow(message)
  })

  test('VITEST_MEMORY_UPDATE_BASELINE is validated', () => {
    expect(() => resolveOptions({}, { VITEST_MEMORY_UPDATE_BASELINE: 'please' })).toThrow(/VITEST_MEMORY_UPDATE_BASELINE \(environment\) must be 1 \(update the tests that changed\) or all \(rewrite every value\), got "please"/)
  })
})
