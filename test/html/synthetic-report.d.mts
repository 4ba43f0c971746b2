import type { MemoryReport } from 'vitest-memory'

export interface SyntheticOptions {
  tests?: number
  files?: number
  slots?: number
  seed?: number
  /** Test name of test number `i`. */
  names?: (i: number) => string
}

/** A synthetic vitest-memory report of any size, shaped like a real one. */
export function syntheticReport(options?: SyntheticOptions): MemoryReport
