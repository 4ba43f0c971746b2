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
  return (cached = gcFromFreshContext())
}

/** Attempts before giving up; each costs a context (~1 ms), and one or two are the rule. */
const GC_ATTEMPTS = 200

/**
 * V8's flags belong to the process, not to a thread: in a thread pool, another worker starting at
 * the same moment can flip `--expose-gc` back off between this thread's flip and its new context,
 * whose `gc` is then missing (`ReferenceError: gc is not defined` failed whole test files, about
 * one run in two of a 5-file corpus on 4 threads). So look before taking, and flip again until the
 * context has it.
 */
export function gcFromFreshContext(): GcFunction {
  for (let attempt = 1; ; attempt++) {
    v8.setFlagsFromString('--expose-gc')
    let found: unknown
    try {
      found = vm.runInNewContext('typeof gc === "function" ? gc : undefined')
    } finally {
      v8.setFlagsFromString('--no-expose-gc')
    }
    if (typeof found === 'function') return found as GcFunction
    if (attempt >= GC_ATTEMPTS) {
      throw new Error(`vitest-memory: V8's gc function was missing from ${GC_ATTEMPTS} fresh contexts in a row: something else in this process keeps turning --expose-gc off. Run Vitest with NODE_OPTIONS=--expose-gc (process pools), or report this with your pool and Node version.`)
    }
  }
}

/**
 * Node 20 only: an exact reading takes one more full GC and keeps the lower heap figure, which
 * removes most of the rest of V8's phantom old-space growth there (README "Accuracy").
 */
export const SECOND_LOOK = Number(process.versions.node.split('.')[0]) < 22

/**
 * Bytes in use on this isolate's V8 heap, compiled code left out. V8's code spaces jump by
 * ~200 KB up or down when it (de)optimizes or flushes code, whatever the test did; that is
 * not memory a test retains, and counting it turned clean tests into 200 KB "leaks".
 */
export function heapUsed(): number {
  return dataBytes(v8.getHeapSpaceStatistics())
}

/**
 * `heapUsed()` and the young generation's use (`new_space`, whose garbage a minor GC clears), from
 * one listing.
 */
export function heapAndYoung(): { heap: number; young: number } {
  const spaces = v8.getHeapSpaceStatistics()
  return { heap: dataBytes(spaces), young: youngBytes(spaces) }
}

/** Used bytes of the young generation in a heap space listing. */
function youngBytes(spaces: ReadonlyArray<{ space_name: string; space_used_size: number }>): number {
  let sum = 0
  for (const space of spaces) if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') sum += space.space_used_size
  return sum
}

/** Sum of the used bytes of the non-code spaces in a heap space listing. */
export function dataBytes(spaces: ReadonlyArray<{ space_name: string; space_used_size: number }>): number {
  let sum = 0
  for (const space of spaces) if (!space.space_name.startsWith('code_')) sum += space.space_used_size
  return sum
}

/**
 * V8's compiled code and bytecode with their metadata, in bytes. It changes when V8 compiles,
 * optimizes or flushes code; optimizing also leaves metadata in the old space, which `heapUsed()`
 * counts (see repeat.ts, `heapRuns`).
 */
export function codeBytes(): number {
  const c = v8.getHeapCodeStatistics()
  return c.code_and_metadata_size + c.bytecode_and_metadata_size
}
