import { expect, test } from 'vitest'

test('joins words', () => {
  expect(['memory', 'per', 'test'].join(' ')).toBe('memory per test')
})

test('builds and drops a large string', () => {
  const big = 'x'.repeat(5_000_000)
  expect(big.length).toBe(5_000_000)
})
