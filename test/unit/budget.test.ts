import { describe, expect, test } from 'vitest'
import { budgetForFile, checkBudget, FILE_LABELS, verdictFor, WORKER_LABELS } from '../../src/shared/budget.ts'
import type { ResolvedOverride } from '../../src/types.ts'

describe('checkBudget', () => {
  test('passes at the limit and fails one byte over', () => {
    expect(checkBudget({ retained: 1_000_000, peak: 0, rss: 0 }, { retained: 1_000_000 })).toEqual([])
    const [v] = checkBudget({ retained: 1_000_001, peak: 0, rss: 0 }, { retained: 1_000_000 })
    expect(v).toMatchObject({ metric: 'retained', limit: 1_000_000, actual: 1_000_001 })
    expect(v!.message).toBe('retained 1 MB after GC, budget 1 MB (+0%)')
  })

  test('the message reads like the issue asks: value, budget, overshoot', () => {
    expect(checkBudget({ retained: 3_200_000, peak: 0, rss: 0 }, { retained: 1_000_000 })[0]!.message).toBe('retained 3.2 MB after GC, budget 1 MB (+220%)')
  })

  test('every metric is checked; missing limits are not', () => {
    const violations = checkBudget({ retained: 5, peak: 50_000_000, rss: 300_000_000 }, { peak: 10_000_000, rss: 200_000_000 })
    expect(violations.map((v) => v.metric)).toEqual(['peak', 'rss'])
    expect(violations[0]!.message).toBe('peak heap 50 MB above start, budget 10 MB (+400%)')
    expect(violations[1]!.message).toBe('peak RSS 300 MB above start, budget 200 MB (+50%)')
  })

  test('file and worker wording', () => {
    expect(checkBudget({ retained: 2e6, peak: 0, rss: 0 }, { retained: 1e6 }, FILE_LABELS)[0]!.message).toBe('file retained 2 MB after GC, budget 1 MB (+100%)')
    expect(checkBudget({ retained: 3e9, peak: 0, rss: 0 }, { retained: 2e9 }, WORKER_LABELS)[0]!.message).toBe('worker heap grew 3 GB over the run, budget 2 GB (+50%)')
  })

  test('external memory and handles left open', () => {
    const [external, handles] = checkBudget({ retained: 0, peak: 0, rss: 0, external: 600_000, handles: { Timeout: 1, TCPServerWrap: 1 } }, { external: 500_000, handles: 0 })
    expect(external!.message).toBe('external memory 600 kB after GC, budget 500 kB (+20%)')
    expect(handles).toMatchObject({ metric: 'handles', limit: 0, actual: 2, message: 'left 2 handles open (1 Timeout, 1 TCPServerWrap), budget 0' })
    expect(checkBudget({ retained: 0, peak: 0, rss: 0, handles: { Timeout: 1 } }, { handles: 1 })).toEqual([])
  })

  test('a zero budget reports the amount over it', () => {
    expect(checkBudget({ retained: 2_000, peak: 0, rss: 0 }, { retained: 0 })[0]!.message).toBe('retained 2 kB after GC, budget 0 B (+2 kB)')
  })
})

describe('verdictFor', () => {
  const violation = { metric: 'retained' as const, limit: 1, actual: 2, message: '' }
  test.each([
    [[], 'fail', 'pass'],
    [[violation], 'fail', 'fail'],
    [[violation], 'warn', 'warn'],
    [[violation], 'off', 'unchecked'],
    [[], 'off', 'unchecked'],
  ] as const)('%j in %s mode -> %s', (violations, mode, verdict) => {
    expect(verdictFor([...violations], mode)).toBe(verdict)
  })
})

describe('budgetForFile', () => {
  const base = { budget: { retained: 1_000_000, peak: 50_000_000 }, fileBudget: { retained: 10_000_000 }, budgetMode: 'fail' as const }
  const overrides: ResolvedOverride[] = [
    { files: ['test/db/**'], budget: { retained: 5_000_000 } },
    { files: ['**/*.slow.test.ts'], budgetMode: 'warn', fileBudget: { rss: 500_000_000 } },
    { files: ['test/db/big.slow.test.ts'], budget: { peak: 200_000_000 } },
  ]

  test('no match: the defaults', () => {
    expect(budgetForFile('test/unit/a.test.ts', { ...base, overrides })).toEqual({ budget: base.budget, fileBudget: base.fileBudget, budgetMode: 'fail' })
  })

  test('a matching glob overrides key by key', () => {
    expect(budgetForFile('test/db/users.test.ts', { ...base, overrides }).budget).toEqual({ retained: 5_000_000, peak: 50_000_000 })
  })

  test('several matches apply in order, later wins', () => {
    expect(budgetForFile('test/db/big.slow.test.ts', { ...base, overrides })).toEqual({
      budget: { retained: 5_000_000, peak: 200_000_000 },
      fileBudget: { retained: 10_000_000, rss: 500_000_000 },
      budgetMode: 'warn',
    })
  })

  test('does not change the defaults it was given', () => {
    budgetForFile('test/db/users.test.ts', { ...base, overrides })
    expect(base.budget).toEqual({ retained: 1_000_000, peak: 50_000_000 })
  })
})
