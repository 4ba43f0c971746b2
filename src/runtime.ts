/**
 * Helpers for test files: `import { setMemoryBudget } from 'vitest-memory/runtime'`.
 * @module
 */
import { parseSize, type Size } from './shared/size.ts'
import type { ResolvedBudget } from './types.ts'
import { runtimeSlot } from './worker/slot.ts'

export { MemoryBudgetError } from './shared/errors.ts'
export type { FileMemory, TestMemory } from './types.ts'
export { registerResourceCounter } from './worker/slot.ts'
export { MemoryRetentionError } from './shared/errors.ts'

export interface TestBudgetInput {
  /** Heap retained after GC. */
  retained?: Size
  /** Peak heap above the heap at the test's start. */
  peak?: Size
  /** Peak RSS above the RSS at the test's start. */
  rss?: Size
  /** External memory (Buffers...) after GC, minus before. */
  external?: Size
  /** Handles the test may leave open (a count). */
  handles?: number
}

const KEYS = ['retained', 'peak', 'rss', 'external'] as const

/**
 * Set the memory budget of the current test (called inside a test) or of every test in the
 * file (called at the top level of the file). Keys you leave out keep the configured budget.
 *
 * ```ts
 * test('imports the catalogue', () => {
 *   setMemoryBudget({ retained: '20 MB' })
 *   ...
 * })
 * ```
 */
export function setMemoryBudget(budget: TestBudgetInput): void {
  if (typeof budget !== 'object' || budget === null) {
    throw new TypeError(`setMemoryBudget expects an object like { retained: '5 MB' }, got ${JSON.stringify(budget)}`)
  }
  const resolved: ResolvedBudget = {}
  for (const key of Object.keys(budget)) {
    if (!(KEYS as readonly string[]).includes(key) && key !== 'handles') {
      throw new TypeError(`setMemoryBudget: ${key} is not a budget. Use ${KEYS.join(', ')} or handles.`)
    }
  }
  if (budget.handles !== undefined) {
    if (!Number.isInteger(budget.handles) || budget.handles < 0) throw new TypeError(`setMemoryBudget: handles is a count of handles the test may leave open (0 or more), got ${JSON.stringify(budget.handles)}`)
    resolved.handles = budget.handles
  }
  for (const key of KEYS) {
    if (budget[key] !== undefined) resolved[key] = parseSize(budget[key], `setMemoryBudget: ${key}`)
  }
  const slot = runtimeSlot()
  if (slot.current) slot.current.budget = { ...slot.current.budget, ...resolved }
  else slot.fileBudget = { ...slot.fileBudget, ...resolved }
}
