// State shared between the harness and `vitest-memory/runtime` through a global symbol,
// so both see the same object even when a module graph loads them as separate instances.
import type { ResolvedBudget } from '../types.ts'

export interface RuntimeSlot {
  /** The test running now (not for concurrent tests) and the budget it set for itself. */
  current?: { id: string; budget?: ResolvedBudget }
  /** Budget set at the top level of the test file being collected or run. */
  fileBudget?: ResolvedBudget
}

const KEY = Symbol.for('vitest-memory.runtime')

export function runtimeSlot(): RuntimeSlot {
  const g = globalThis as { [KEY]?: RuntimeSlot }
  return (g[KEY] ??= {})
}
