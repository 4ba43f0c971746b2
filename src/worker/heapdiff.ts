// "What grew": compare two V8 heap snapshots by object kind (constructor name for objects,
// the node type for strings, arrays, closures, code...). V8 takes a full GC before every
// snapshot, so both sides hold live objects only.
import { readFileSync, rmSync } from 'node:fs'
import v8 from 'node:v8'
import type { GrowthEntry } from '../types.ts'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

/** Count and self size per kind of object in a `.heapsnapshot` file. */
export function summarizeSnapshot(file: string): Map<string, { count: number; bytes: number }> {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const fields = data.snapshot.meta.node_fields
  const types = data.snapshot.meta.node_types[0]
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const kinds = new Map<string, { count: number; bytes: number }>()
  const { nodes, strings } = data
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!]!
    // Synthetic roots and V8's hidden bookkeeping are not the test's objects.
    if (type === 'synthetic' || type === 'hidden') continue
    const kind = type === 'object' || type === 'native' ? strings[nodes[i + nameAt]!]! : `(${type})`
    const entry = kinds.get(kind)
    const size = nodes[i + sizeAt]!
    if (entry) {
      entry.count++
      entry.bytes += size
    } else {
      kinds.set(kind, { count: 1, bytes: size })
    }
  }
  return kinds
}

/** The kinds that grew most between two summaries, largest byte growth first. */
export function diffSummaries(before: Map<string, { count: number; bytes: number }>, after: Map<string, { count: number; bytes: number }>, top = 10): GrowthEntry[] {
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
