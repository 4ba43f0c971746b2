// A gc function in every pool. `--expose-gc` in execArgv works only in process pools
// (worker threads reject it), so flip the V8 flag, take `gc` from a fresh context, and flip
// it back so test code does not suddenly see a global `gc` in contexts created later.
import v8 from 'node:v8'
import vm from 'node:vm'

export type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

let cached: GcFunction | undefined

export function getGc(): GcFunction {
  if (cached) return cached
  const existing = (globalThis as { gc?: GcFunction }).gc
  if (typeof existing === 'function') return (cached = existing)
  v8.setFlagsFromString('--expose-gc')
  try {
    cached = vm.runInNewContext('gc') as GcFunction
  } finally {
    v8.setFlagsFromString('--no-expose-gc')
  }
  return cached
}

/** Bytes in use on this isolate's V8 heap (what `process.memoryUsage().heapUsed` reports, ~40x cheaper). */
export function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size
}
