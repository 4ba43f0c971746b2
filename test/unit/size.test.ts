import { describe, expect, test } from 'vitest'
import { formatBytes, formatDelta, parseSize } from '../../src/shared/size.ts'

describe('parseSize', () => {
  test.each([
    ['512KB', 512_000],
    ['512 KB', 512_000],
    ['512 kB', 512_000],
    ['1.5 MB', 1_500_000],
    ['2GiB', 2 * 1024 ** 3],
    ['512 KiB', 512 * 1024],
    ['1 mib', 1024 ** 2],
    ['100', 100],
    ['100 B', 100],
    [' 3 GB ', 3_000_000_000],
    [0, 0],
    [1234, 1234],
  ])('%j is %d bytes', (input, bytes) => {
    expect(parseSize(input, 'budget.retained')).toBe(bytes)
  })

  test.each(['5 MX', 'abc', '', '-5MB', '1e3', 'MB', '1.5.2 MB', '5 M B'])('%j is rejected with the option name and an example', (input) => {
    expect(() => parseSize(input, 'budget.retained')).toThrow(/^budget\.retained: ".*" is not a size\. Use a number of bytes or a string like "512 KB".*KB = 1000 bytes, KiB = 1024 bytes/)
  })

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('number %d is rejected', (input) => {
    expect(() => parseSize(input, 'budget.peak')).toThrow(/budget\.peak must be a non-negative number of bytes/)
  })

  test('other types are rejected', () => {
    expect(() => parseSize({}, 'x')).toThrow(/x: {} is not a size/)
    expect(() => parseSize(null, 'x')).toThrow(/x: null is not a size/)
  })
})

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_000, '1 kB'],
    [1_536, '1.54 kB'],
    [12_345, '12.3 kB'],
    [123_456, '123 kB'],
    [1_030_000, '1.03 MB'],
    [3_200_000, '3.2 MB'],
    [2_000_000_000, '2 GB'],
    [-12_400, '-12.4 kB'],
  ])('%d -> %s', (n, text) => {
    expect(formatBytes(n)).toBe(text)
  })

  test('deltas carry a sign', () => {
    expect(formatDelta(3_200_000)).toBe('+3.2 MB')
    expect(formatDelta(-3_200_000)).toBe('-3.2 MB')
    expect(formatDelta(0)).toBe('+0 B')
  })
})
