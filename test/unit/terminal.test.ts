import { expect, test } from 'vitest'
import { sparkline } from '../../src/reporters/terminal.ts'

test('a rising series rises', () => {
  expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█')
})

test('a flat series is flat', () => {
  expect(sparkline([5, 5, 5])).toBe('▁▁▁')
})

test('long series are resampled to the width, keeping each column\'s maximum', () => {
  const values = Array.from({ length: 1000 }, (_, i) => (i === 500 ? 100 : 1))
  const line = sparkline(values, 20)
  expect(line).toHaveLength(20)
  expect(line.split('').filter((c) => c === '█')).toHaveLength(1)
})

test('empty series', () => {
  expect(sparkline([])).toBe('')
})
