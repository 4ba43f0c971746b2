import { expect, test } from 'vitest'
import { findTest, runFixture } from '../helpers/run-vitest.ts'

test('retention matchers pass and fail where they should, with clear messages', async () => {
  const { code, output, report } = await runFixture('matchers')
  expect(code).toBe(1)
  const state = (name: string) => findTest(report, name).state
  expect(state('collected: a plain object nobody keeps')).toBe('passed')
  expect(state('not collected: kept in a module-level registry')).toBe('failed')
  expect(state('negated: an object kept alive on purpose')).toBe('passed')
  expect(state('toLeak: a function that does not leak')).toBe('passed')
  expect(state('toLeak: a function that leaks')).toBe('failed')
  expect(state('toLeak: positive form')).toBe('passed')
  expect(state('collected after the test: a local object')).toBe('passed')
  expect(state('still reachable after the test: a listener keeps it')).toBe('failed')
  expect(state('wrong use: passing the object instead of a factory')).toBe('passed')
  expect(output).toContain('expected the object returned by the factory to be garbage collected, but it is still reachable after 5 full GCs')
  expect(output).toMatch(/expected the function not to leak, but the heap grew on all 6 of 6 measurements by more than 1 kB: heap differences after every 5 call\(s\): \+\d/)
  expect(output).toContain('MemoryRetentionError: expected Session object to be garbage collected after the test, but it is still reachable')
})
