// "What grew": compare two V8 heap snapshots by object kind (constructor name for objects,
// the node type for strings, arrays, closures, code...). V8 takes a full GC before every
// snapshot, so both sides hold live objects only.
import { rmSync } from 'node:fs'
import v8 from 'node:v8'
import type { GrowthEntry } from '../types.ts'
import { readSnapshot, summarizeGraph, type KindSummary } from './snapshot.ts'

/** Count and self size per kind of object in a `.heapsnapshot` file (read as a stream). */
export function summarizeSnapshot(file: string): KindSummary {
  return summarizeGraph(readSnapshot(file, { edges: false }))
}

/** The kinds that grew most between two summaries, largest byte growth first. */
export function diffSummaries(before: KindSummary, after: KindSummary, top = 10): GrowthEntry[] {
  const grew: GrowthEntry[] = []
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 }
    const bytes = a.bytes - b.bytes
    const count = a.count - b.count
    if (bytes > 0 || count > 0) grew.push({ kind, count, bytes })
  }
  return grew.sort((x, y) => y.bytes - x.bytes || y.count - x.count).slice(0, top)
}

/** Write a heap snapshot to `file` (V8 runs a full GC first). */
export function takeSnapshot(file: string): string {
  return v8.writeHeapSnapshot(file)
}

/** Summarize two snapshot files and remove them unless asked to keep them. */
export function diffSnapshotFiles(before: string, after: string, keep: boolean, top = 10): GrowthEntry[] {
  try {
    return diffSummaries(summarizeSnapshot(before), summarizeSnapshot(after), top)
  } finally {
    if (!keep) {
      rmSync(before, { force: true })
      rmSync(after, { force: true })
    }
  }
}
