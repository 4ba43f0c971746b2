// State shared between the harness and `vitest-memory/runtime` through a global symbol,
// so both see the same object even when a module graph loads them as separate instances.
import type { ResolvedBudget } from '../types.ts'

export interface RuntimeSlot {
  /** The test running now (not for concurrent tests) and the budget it set for itself. */
  current?: {
    id: string
    budget?: ResolvedBudget
    /** Objects the test expects to be collected once it ends (`toBeCollectedAfterTest`). */
    collectAfter?: Array<{ ref: WeakRef<object>; description: string }>
  }
  /** Budget set at the top level of the test file being collected or run. */
  fileBudget?: ResolvedBudget
}

const KEY = Symbol.for('vitest-memory.runtime')

export function runtimeSlot(): RuntimeSlot {
  const g = globalThis as { [KEY]?: RuntimeSlot }
  return (g[KEY] ??= {})
}

const RESOURCES = Symbol.for('vitest-memory.resources')

/**
 * Counters of open resources that are not libuv handles (database engines, for example),
 * sampled before and after every test next to `process.getActiveResourcesInfo()`.
 * A test that leaves the count higher than it found it is reported with `handlesLeft[type]`.
 */
export function resourceCounters(): Map<string, () => number> {
  const g = globalThis as { [RESOURCES]?: Map<string, () => number> }
  return (g[RESOURCES] ??= new Map())
}

/** Register (or replace) a counter of open resources of one type. */
export function registerResourceCounter(type: string, count: () => number): void {
  resourceCounters().set(type, count)
}
