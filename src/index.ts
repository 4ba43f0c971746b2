/**
 * vitest-memory: a Vitest plugin that measures memory per test and per file.
 * @module
 */
import { memory } from './node/plugin.ts'

export { memory }
export default memory
export { MemoryOptionsError, type BudgetInput, type MemoryOptions, type OverrideInput, type WorkerBudgetInput } from './node/options.ts'
export { parseSize, formatBytes, type Size } from './shared/size.ts'
export type * from './types.ts'
export type { MemoryReport, ReportFile, ReportInterrupted, ReportTest, ReportWorker, ReportBaseline, BaselineDelta, BaselineTolerance } from './reporters/json.ts'
export type { BaselineInput, ToleranceInput } from './node/report-options.ts'
