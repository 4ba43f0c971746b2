// The streaming .heapsnapshot reader and the holder search, on synthetic snapshots written here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import { afterAll, describe, expect, test } from 'vitest'
import { findHolders, readSnapshot, summarizeGraph } from '../../src/worker/snapshot.ts'

const dir = mkdtempSync(join(tmpdir(), 'vitest-memory-snapshot-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness']
const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape']
const EDGE_FIELDS = ['type', 'name_or_index', 'to_node']
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak']

interface SynthNode { type: string; name: string; size: number; edges: Array<{ type: string; name: string | number; to: number }> }

/** Write nodes (index = position) as V8 does: header, nodes, edges, the other arrays, strings. */
function writeSnapshot(name: string, nodes: SynthNode[], extraStrings: string[] = []): string {
  const strings: string[] = []
  const seen = new Map<string, number>()
  const index = (s: string) => {
    let i = seen.get(s)
    if (i === undefined) seen.set(s, (i = strings.push(s) - 1))
    return i
  }
  const nodeRows: number[] = []
  const edgeRows: number[] = []
  nodes.forEach((n, i) => {
    nodeRows.push(NODE_TYPES.indexOf(n.type), index(n.name), i * 2 + 1, n.size, n.edges.length, 0, 0)
    for (const e of n.edges) {
      const nameOrIndex = e.type === 'element' || e.type === 'hidden' ? (e.name as number) : index(String(e.name))
      edgeRows.push(EDGE_TYPES.indexOf(e.type), nameOrIndex, e.to * NODE_FIELDS.length)
    }
  })
  for (const s of extraStrings) strings.push(s)
  const header = { snapshot: { meta: { node_fields: NODE_FIELDS, node_types: [NODE_TYPES, 'string', 'number'], edge_fields: EDGE_FIELDS, edge_types: [EDGE_TYPES, 'string_or_number', 'node'] }, node_count: nodes.length, edge_count: edgeRows.length / 3, trace_function_count: 0 } }
  // V8 writes one row per line, with commas; the reader must not care.
  const rows = (values: number[], width: number) => values.map((v, i) => `${i % width === 0 && i ? '\n' : ''}${v}`).join(',')
  const text = `${JSON.stringify(header).slice(0, -1)},\n"nodes":[${rows(nodeRows, NODE_FIELDS.length)}],\n"edges":[${rows(edgeRows, 3)}],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[0,1,2,3],\n"strings":[${strings.map((s) => JSON.stringify(s)).join(',\n')}]}`
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

/** A root -> a closure of /proj/src/cache.ts -> its module scope -> `memo` (Map) -> table -> entries. */
function cacheGraph(entries: number, entrySize: number): SynthNode[] {
  const nodes: SynthNode[] = [
    { type: 'synthetic', name: '', size: 0, edges: [{ type: 'element', name: 1, to: 1 }] },
    { type: 'synthetic', name: '(GC roots)', size: 0, edges: [{ type: 'element', name: 1, to: 2 }, { type: 'element', name: 2, to: 7 }] },
    { type: 'closure', name: 'lookup', size: 32, edges: [{ type: 'internal', name: 'shared', to: 3 }, { type: 'internal', name: 'context', to: 5 }] },
    { type: 'code', name: '(shared function info)', size: 40, edges: [{ type: 'internal', name: 'script_or_debug_info', to: 4 }] },
    { type: 'code', name: 'file:///proj/src/cache.ts', size: 80, edges: [] },
    { type: 'object', name: 'system / Context', size: 48, edges: [{ type: 'context', name: 'memo', to: 6 }, { type: 'context', name: '__vi_import_0__', to: 7 }] },
    { type: 'object', name: 'Map', size: 32, edges: [{ type: 'internal', name: 'table', to: 8 }] },
    // Vitest's own module (node_modules): big, but not the user's.
    { type: 'object', name: 'Object', size: 5_000_000, edges: [] },
    { type: 'array', name: '(object elements)', size: 16, edges: [] },
  ]
  for (let i = 0; i < entries; i++) {
    nodes[8]!.edges.push({ type: 'internal', name: i, to: nodes.length })
    nodes.push({ type: 'object', name: 'Array', size: entrySize, edges: [] })
  }
  return nodes
}

const userScript = (url: string) => (url.startsWith('file:///proj/') && !url.includes('node_modules') ? url.slice('file:///proj/'.length) : undefined)

describe('readSnapshot', () => {
  test('reads nodes, edges and strings, escapes and non-ASCII included', () => {
    const odd = ['quote " and backslash \\ and \\"', 'line\nbreak\ttab', 'ünïcödé ✓ 𝄞', '']
    const file = writeSnapshot('small.heapsnapshot', cacheGraph(3, 100), odd)
    const g = readSnapshot(file)
    expect(g.nodeCount).toBe(12)
    expect(g.nodes.length).toBe(12 * NODE_FIELDS.length)
    expect(g.edges.length).toBe(3 * (2 + 2 + 1 + 1 + 2 + 1 + 3))
    expect(g.strings.slice(-odd.length)).toEqual(odd)
    expect(g.nodeTypes).toEqual(NODE_TYPES)
  })

  test('tokens that span its 1 MB chunks (a 3 MB snapshot of long strings and many nodes)', () => {
    const long = Array.from({ length: 300 }, (_, i) => `${'x'.repeat(9_000 + i)}\\"${i}`)
    const file = writeSnapshot('large.heapsnapshot', cacheGraph(40_000, 24), long)
    const g = readSnapshot(file)
    expect(g.nodeCount).toBe(40_009)
    expect(g.strings.slice(-long.length)).toEqual(long)
    const kinds = summarizeGraph(g)
    expect(kinds.get('Array')).toEqual({ count: 40_000, bytes: 40_000 * 24 })
    // Without edges, the same summary.
    expect(summarizeGraph(readSnapshot(file, { edges: false }))).toEqual(kinds)
  })

  test('a file that is not a heap snapshot is refused with a reason', () => {
    const file = join(dir, 'not.heapsnapshot')
    writeFileSync(file, '{"hello": 1}')
    expect(() => readSnapshot(file)).toThrow(/not a heap snapshot: no "nodes" array/)
  })

  test('reads a real V8 snapshot and agrees with JSON.parse on it', () => {
    const file = v8.writeHeapSnapshot(join(dir, 'real.heapsnapshot'))
    const g = readSnapshot(file)
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { nodes: number[]; edges: number[]; strings: string[] }
    expect(Array.from(g.nodes)).toEqual(parsed.nodes)
    expect(g.edges.length).toBe(parsed.edges.length)
    expect(g.strings).toEqual(parsed.strings)
  })
})

describe('findHolders', () => {
  test('names the user-module variable, summarizing V8 internals, and skips Vitest module plumbing', () => {
    const g = readSnapshot(writeSnapshot('holders.heapsnapshot', cacheGraph(1_000, 500)))
    const { holders, sizes } = findHolders(g, userScript)
    expect(holders).toHaveLength(1)
    expect(holders[0]!.path).toBe('module src/cache.ts > memo (Map)')
    expect(holders[0]!.bytes).toBe(32 + 16 + 1_000 * 500)
    expect(sizes.get(holders[0]!.id)).toBe(holders[0]!.bytes)
  })

  test('follows the child that holds most of it', () => {
    const nodes = cacheGraph(0, 0)
    // memo (Map) -> table -> [0] -> a LineBuffer -> lines (Array) -> 100 strings
    nodes[8]!.edges.push({ type: 'internal', name: 0, to: nodes.length })
    nodes.push({ type: 'object', name: 'LineBuffer', size: 24, edges: [{ type: 'property', name: 'lines', to: nodes.length + 1 }] })
    nodes.push({ type: 'object', name: 'Array', size: 32, edges: [{ type: 'internal', name: 'elements', to: nodes.length + 1 }] })
    nodes.push({ type: 'array', name: '(object elements)', size: 800, edges: [] })
    for (let i = 0; i < 100; i++) {
      nodes.at(-1)!.edges.push({ type: 'element', name: i, to: nodes.length + i })
    }
    const owner = nodes.length - 1
    for (let i = 0; i < 100; i++) nodes.push({ type: 'string', name: `line ${i}`, size: 1_000, edges: [] })
    expect(nodes[owner]!.edges).toHaveLength(100)
    const g = readSnapshot(writeSnapshot('deep.heapsnapshot', nodes))
    expect(findHolders(g, userScript).holders[0]!.path).toBe('module src/cache.ts > memo (Map) > lines (Array)')
  })

  test('ranks by growth since the previous diagnosis', () => {
    const g = readSnapshot(writeSnapshot('growth.heapsnapshot', cacheGraph(10, 100)))
    const first = findHolders(g, userScript)
    const again = findHolders(g, userScript, { previous: first.sizes })
    expect(again.holders[0]!.bytesBefore).toBe(first.holders[0]!.bytes)
  })
})
