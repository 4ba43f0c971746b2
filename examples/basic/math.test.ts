import { describe, expect, test } from 'vitest'

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

describe('mean', () => {
  test('of a few numbers', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5)
  })

  test('of many numbers', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => i)
    expect(mean(values)).toBe(49_999.5)
  })
})
