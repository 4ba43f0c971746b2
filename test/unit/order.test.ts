import { expect, test } from 'vitest'
import { byCodeUnit, byText } from '../../src/shared/order.ts'

test('numbers in names sort by value', () => {
  expect(['order 100', 'order 2', 'order 10', 'order 1'].sort(byText)).toEqual(['order 1', 'order 2', 'order 10', 'order 100'])
  expect(['file10.test.ts', 'file9.test.ts', 'file1a.test.ts', 'file12.test.ts'].sort(byText)).toEqual(['file1a.test.ts', 'file9.test.ts', 'file10.test.ts', 'file12.test.ts'])
  expect(['v1.10.0', 'v1.9.2', 'v1.9.10'].sort(byText)).toEqual(['v1.9.2', 'v1.9.10', 'v1.10.0'])
})

test('otherwise code-unit order, the same on every machine', () => {
  expect(['b', 'B', 'a', 'ab', ''].sort(byText)).toEqual(['', 'B', 'a', 'ab', 'b'])
  expect(['x1b', 'x1a', 'x1'].sort(byText)).toEqual(['x1', 'x1a', 'x1b'])
  expect(byText('same 10', 'same 10')).toBe(0)
})

test('leading zeros: equal values fall back to code-unit order, so the order stays total', () => {
  expect(['t 010', 't 10', 't 9', 't 011'].sort(byText)).toEqual(['t 9', 't 010', 't 10', 't 011'])
})

test('byCodeUnit is plain code-unit order (the baseline file keeps it)', () => {
  expect(['order 2', 'order 10'].sort(byCodeUnit)).toEqual(['order 10', 'order 2'])
})
