// Waiting for an object to be garbage collected: shared by the matchers and the harness.
import { getGc } from './gc.ts'

export const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Full GCs and macrotask turns until `ref` is cleared or the attempts run out. Returns the attempts used. */
export async function collect(ref: WeakRef<object>, attempts = 5): Promise<number> {
  const gc = getGc()
  for (let i = 1; i <= attempts; i++) {
    // A WeakRef keeps its target alive until the job that created or dereferenced it ends, so
    // every GC runs in a later job than the last deref().
    await turns(1)
    gc()
    await turns(2)
    if (ref.deref() === undefined) return i
  }
  return 0
}

/**
 * Objects registered with `toBeCollectedAfterTest()` that are still alive: runs GCs first.
 * Called by the harness at the end of each test.
 */
export async function stillAlive(entries: Array<{ ref: WeakRef<object>; description: string }>): Promise<string[]> {
  const alive: string[] = []
  for (const entry of entries) if ((await collect(entry.ref, 3)) === 0) alive.push(entry.description)
  return alive
}
