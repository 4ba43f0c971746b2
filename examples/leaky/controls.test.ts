import { describe, expect, test } from 'vitest'
import { BoundedCache, Node } from './src/controls.ts'

describe('controls (must stay within budget)', () => {
  test('reference cycles are collected', () => {
    const root = new Node(0)
    for (let i = 1; i < 50_000; i++) root.add(new Node(i))
    expect(root.children[10]!.parent).toBe(root)
  })

  test('a large transient allocation: high peak, nothing retained', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ id: i, name: `row ${i}` }))
    expect(rows.filter((r) => r.id % 2 === 0)).toHaveLength(150_000)
  })

  const cache = new BoundedCache<string>(100)
  test.each([1, 2, 3])('bounded cache stays bounded (pass %i)', (pass) => {
    for (let i = 0; i < 10_000; i++) cache.set(`key-${pass}-${i}`, `value ${i} ${'-'.repeat(100)}`)
    expect(cache.size).toBe(100)
  })
})
