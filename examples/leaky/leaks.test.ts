import { describe, expect, test } from 'vitest'
import { bus, createEngine, errorLog, handleRequest, lookupPrice, metadata, reparentChildren, risky, sharedBuffer } from './src/leaks.ts'

describe('leaks (each test retains more than the 1 MB budget)', () => {
  test('unbounded cache keeps every key', () => {
    for (let i = 0; i < 5_000; i++) lookupPrice(`sku-${Math.random()}`)
    expect(lookupPrice('sku-1')).toHaveLength(64)
  })

  test('log buffer is never cleared (seeds/004)', () => {
    for (let i = 0; i < 30_000; i++) sharedBuffer.add(`line ${i} ${'.'.repeat(40)} ${Math.random()}`)
    expect(sharedBuffer.flushed).toBeGreaterThan(0)
  })

  test('listeners pile up on a long-lived emitter', () => {
    for (let i = 0; i < 3_000; i++) handleRequest(`request ${i} ${'#'.repeat(1_000)}`)
    expect(bus.listenerCount('shutdown')).toBeGreaterThanOrEqual(3_000)
  })

  test('pipeline queues far more commands than there are items (seeds/000)', () => {
    const queued = reparentChildren('root', 50)
    expect(queued).toBeGreaterThan(50)
  })

  test('global error list keeps every error and its context (seeds/001)', () => {
    for (let i = 0; i < 400; i++) risky(i)
    expect(errorLog.length).toBeGreaterThan(0)
  })

  test('a global metadata registry keeps every engine (seeds/002)', () => {
    for (let i = 0; i < 30; i++) createEngine(`sqlite:///:memory:?test=${i}`)
    expect(metadata.engines.length).toBeGreaterThanOrEqual(30)
  })
})
