// Reading a V8 `.heapsnapshot` file without ever holding it in one string: the file is read in
// chunks, its node and edge arrays go straight into typed arrays and its strings are decoded one by
// one. A 400 MB snapshot (which `JSON.parse` of one string cannot take: V8's strings stop at
// ~512 MB, and parsing one doubles the heap) costs its typed arrays and its strings, no more.
// On the graph: what each kind of object adds up to ("what grew"), and the holders of the largest
// structures user code keeps, with the shortest path from a GC root in words.
import { closeSync, openSync, readSync } from 'node:fs'

/** A heap snapshot's graph: flat node and edge tables as V8 writes them. */
export interface HeapGraph {
  nodeFields: string[]
  nodeTypes: string[]
  edgeFields: string[]
  edgeTypes: string[]
  nodes: Uint32Array
  edges: Uint32Array
  strings: string[]
  nodeCount: number
}

interface Meta {
  node_fields: string[]
  node_types: [string[], ...unknown[]]
  edge_fields: string[]
  edge_types: [string[], ...unknown[]]
}

const CHUNK = 1 << 20
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN = 0x5b
const CLOSE = 0x5d

/**
 * Read a `.heapsnapshot` file in 1 MB chunks. Throws on a file that is not a heap snapshot.
 * `edges: false` skips the edge table (an empty array then): "what grew" counts nodes only.
 */
export function readSnapshot(file: string, options: { edges?: boolean } = {}): HeapGraph {
  const fd = openSync(file, 'r')
  try {
    return parse(fd, options.edges !== false)
  } finally {
    closeSync(fd)
  }
}

function parse(fd: number, withEdges: boolean): HeapGraph {
  let buf = Buffer.alloc(CHUNK)
  let len = 0
  let pos = 0
  let eof = false
  /** How many times the buffer was refilled (positions in it move then). */
  let fills = 0
  /** Make at least one unread byte available (growing the buffer for a token that spans chunks). */
  const fill = (keepFrom = pos): boolean => {
    if (eof) return false
    fills++
    if (keepFrom > 0) {
      buf.copy(buf, 0, keepFrom, len)
      len -= keepFrom
      pos -= keepFrom
    }
    if (len === buf.length) {
      const bigger = Buffer.alloc(buf.length * 2)
      buf.copy(bigger, 0, 0, len)
      buf = bigger
    }
    const n = readSync(fd, buf, len, buf.length - len, null)
    if (n === 0) eof = true
    len += n
    return n > 0
  }
  /** Skip to just after `key":[`; with `keep`, return the text before it (the small header only). */
  const seek = (key: string, keep = false): string => {
    const needle = Buffer.from(`"${key}":`)
    let text = ''
    for (;;) {
      const at = buf.indexOf(needle, pos)
      if (at >= 0 && at + needle.length < len) {
        if (keep) text += buf.toString('utf8', pos, at)
        pos = at + needle.length
        while (pos >= len || buf[pos] !== OPEN) {
          if (pos >= len && !fill()) throw new Error(`not a heap snapshot: no "${key}" array`)
          if (buf[pos] !== OPEN) pos++
        }
        pos++
        return text
      }
      // Keep the tail that could hold the start of the key.
      const tail = Math.max(pos, len - needle.length)
      if (keep) text += buf.toString('utf8', pos, tail)
      pos = tail
      if (!fill()) throw new Error(`not a heap snapshot: no "${key}" array`)
    }
  }
  /** Read a JSON array of unsigned integers into `out` (whose length V8's header gives). */
  const numbers = (out: Uint32Array): void => {
    let i = 0
    let value = 0
    let inNumber = false
    for (;;) {
      if (pos >= len && !fill(len)) throw new Error('heap snapshot ends inside a number array')
      // The hot loop: locals only, one chunk at a time.
      const b = buf
      const end = len
      let p = pos
      let closed = false
      for (; p < end; p++) {
        const c = b[p]!
        if (c >= 0x30 && c <= 0x39) {
          value = value * 10 + (c - 0x30)
          inNumber = true
        } else {
          if (inNumber) {
            out[i++] = value
            value = 0
            inNumber = false
          }
          if (c === CLOSE) {
            closed = true
            p++
            break
          }
        }
      }
      pos = p
      if (closed) break
    }
    if (i !== out.length) throw new Error(`heap snapshot array holds ${i} numbers, its header says ${out.length}`)
  }
  /** Read a JSON array of strings, one `JSON.parse` per string. */
  const stringArray = (): string[] => {
    const out: string[] = []
    // Where the next backslash is (-1: none in the buffer), found once per stretch, not per string.
    let slashAt = -2
    let slashFill = -1
    for (;;) {
      if (pos >= len && !fill(len)) throw new Error('heap snapshot ends inside its strings')
      const c = buf[pos]!
      if (c === CLOSE) {
        pos++
        return out
      }
      if (c !== QUOTE) {
        pos++
        continue
      }
      // `pos` is the opening quote (a refill moves it, with the buffer's contents).
      let end = pos + 1
      let escaped = false
      for (;;) {
        const q = buf.indexOf(QUOTE, end)
        if (q < 0 || q >= len) {
          const offset = Math.max(len, end) - pos
          if (!fill(pos)) throw new Error('heap snapshot ends inside a string')
          end = pos + offset
          continue
        }
        // A quote preceded by an odd number of backslashes is part of the string.
        let slashes = 0
        for (let k = q - 1; k > pos && buf[k] === BACKSLASH; k--) slashes++
        if (slashes > 0) escaped = true
        if (slashes % 2 === 0) {
          end = q
          break
        }
        end = q + 1
      }
      if (slashFill !== fills || (slashAt !== -1 && slashAt <= pos)) {
        slashAt = buf.indexOf(BACKSLASH, pos + 1)
        if (slashAt >= len) slashAt = -1
        slashFill = fills
      }
      if (!escaped && (slashAt === -1 || slashAt > end)) out.push(buf.toString('utf8', pos + 1, end))
      else out.push(JSON.parse(buf.toString('utf8', pos, end + 1)) as string)
      pos = end + 1
    }
  }

  fill()
  const header = seek('nodes', true)
  // `{"snapshot":{...},` : the meta object, with node and edge counts.
  const meta = JSON.parse(`${header.trim().replace(/,$/, '')}}`) as { snapshot: { meta: Meta; node_count: number; edge_count: number } }
  const m = meta.snapshot.meta
  const nodes = new Uint32Array(meta.snapshot.node_count * m.node_fields.length)
  numbers(nodes)
  let edges = new Uint32Array(0)
  if (withEdges) {
    seek('edges')
    edges = new Uint32Array(meta.snapshot.edge_count * m.edge_fields.length)
    numbers(edges)
  }
  // The arrays between (edges when skipped, trace data, samples, locations) hold numbers only.
  seek('strings')
  const strings = stringArray()
  return {
    nodeFields: m.node_fields,
    nodeTypes: m.node_types[0],
    edgeFields: m.edge_fields,
    edgeTypes: m.edge_types[0],
    nodes,
    edges,
    strings,
    nodeCount: meta.snapshot.node_count,
  }
}

export type KindSummary = Map<string, { count: number; bytes: number }>

/** Count and self size per kind of object (constructor name for objects, `(type)` for the rest). */
export function summarizeGraph(g: HeapGraph): KindSummary {
  const width = g.nodeFields.length
  const typeAt = g.nodeFields.indexOf('type')
  const nameAt = g.nodeFields.indexOf('name')
  const sizeAt = g.nodeFields.indexOf('self_size')
  const kinds: KindSummary = new Map()
  const { nodes, strings, nodeTypes } = g
  for (let i = 0; i < nodes.length; i += width) {
    const type = nodeTypes[nodes[i + typeAt]!]!
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

/** One holder of a large structure: the path that keeps it alive and what hangs under it. */
export interface Holder {
  /** `module src/cache.ts > memo (Map) > value (Array)` */
  path: string
  /** Bytes reachable through this holder first (its share of the shortest-path tree). */
  bytes: number
  /** The same figure at the previous diagnosis in this worker, when the holder existed then. */
  bytesBefore?: number
  /** Snapshot id of the holder (stable across snapshots of one process). */
  id: number
}

/** Whether a script belongs to the user's code (not Node's, Vitest's, or a dependency's). */
export type UserScript = (url: string) => string | undefined

interface Step {
  edgeType: string
  edgeName: string
  node: number
}

/**
 * Holders of the largest structures that user code keeps: BFS from the GC roots gives every object
 * its shortest path; each object's size is charged to the first user-module variable on its path
 * (a module-level `const`, a captured variable), and from there the path follows the child that
 * holds most, while it holds most of it. Ranked by growth against `previous` (holder id -> bytes,
 * from the last diagnosis in this worker) when given, else by size.
 */
export function findHolders(g: HeapGraph, userScript: UserScript, options: { top?: number; previous?: Map<number, number>; minBytes?: number } = {}): { holders: Holder[]; sizes: Map<number, number> } {
  const top = options.top ?? 3
  const nw = g.nodeFields.length
  const ew = g.edgeFields.length
  const nType = g.nodeFields.indexOf('type')
  const nName = g.nodeFields.indexOf('name')
  const nId = g.nodeFields.indexOf('id')
  const nSize = g.nodeFields.indexOf('self_size')
  const nEdges = g.nodeFields.indexOf('edge_count')
  const eType = g.edgeFields.indexOf('type')
  const eName = g.edgeFields.indexOf('name_or_index')
  const eTo = g.edgeFields.indexOf('to_node')
  const { nodes, edges, strings, nodeCount } = g
  const typeOf = (n: number) => g.nodeTypes[nodes[n * nw + nType]!]!
  const nameOf = (n: number) => strings[nodes[n * nw + nName]!]!
  const edgeTypeOf = (e: number) => g.edgeTypes[edges[e * ew + eType]!]!
  const firstEdge = new Uint32Array(nodeCount + 1)
  for (let n = 0, e = 0; n < nodeCount; n++) {
    firstEdge[n] = e
    e += nodes[n * nw + nEdges]!
  }
  firstEdge[nodeCount] = edges.length / ew
  const edgeNamed = (n: number, name: string, type?: string): number => {
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      const t = edgeTypeOf(e)
      if (t !== 'element' && t !== 'hidden' && strings[edges[e * ew + eName]!] === name && (!type || t === type)) return edges[e * ew + eTo]! / nw
    }
    return -1
  }
  // A closure's file: closure -shared-> SharedFunctionInfo -script_or_debug_info (Node 20) or
  // script-> Script, whose name is its url.
  const scriptOf = (closure: number): string | undefined => {
    const shared = edgeNamed(closure, 'shared')
    if (shared < 0) return undefined
    let script = edgeNamed(shared, 'script_or_debug_info')
    if (script < 0) script = edgeNamed(shared, 'script')
    if (script < 0) return undefined
    const name = nameOf(script)
    if (name && name !== 'system / Script') return name
    const named = edgeNamed(script, 'name')
    return named < 0 ? undefined : nameOf(named)
  }
  // The file of each scope (Context): that of a closure created in it.
  const contextFile = new Map<number, string | undefined>()
  for (let n = 0; n < nodeCount; n++) {
    if (typeOf(n) !== 'closure') continue
    const context = edgeNamed(n, 'context')
    if (context < 0 || contextFile.has(context)) continue
    contextFile.set(context, userScript(scriptOf(n) ?? ''))
  }
  // Shortest-path tree from the root (node 0), weak edges left out: they do not keep anything alive.
  const parent = new Int32Array(nodeCount).fill(-1)
  const viaEdge = new Int32Array(nodeCount).fill(-1)
  const order = new Uint32Array(nodeCount)
  parent[0] = 0
  let head = 0
  let tail = 1
  while (head < tail) {
    const n = order[head++]!
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      if (edgeTypeOf(e) === 'weak') continue
      const to = edges[e * ew + eTo]! / nw
      if (parent[to] !== -1) continue
      parent[to] = n
      viaEdge[to] = e
      order[tail++] = to
    }
  }
  // A scope's variable names: `context` edges carry them; where V8 writes the slots as `hidden`
  // edges (Node 20), the names are the scope info's strings, in slot order.
  const variableName = (context: number, edge: number): string | undefined => {
    const type = edgeTypeOf(edge)
    if (type === 'context') return strings[edges[edge * ew + eName]!]!
    if (type !== 'hidden' || nameOf(context) !== 'system / Context') return undefined
    const info = edgeNamed(context, 'scope_info')
    if (info < 0) return undefined
    const slot = edges[edge * ew + eName]!
    for (let e = firstEdge[info]!, i = 0; e < firstEdge[info + 1]!; e++) {
      if (edgeTypeOf(e) !== 'hidden') continue
      if (i++ === slot) {
        const to = edges[e * ew + eTo]! / nw
        return typeOf(to) === 'string' ? nameOf(to) : undefined
      }
    }
    return undefined
  }
  // The user-module variable each object is reached through first: a variable of a scope
  // (Context) created by a closure in a user script.
  const variableOf = new Map<number, string>()
  const owner = new Int32Array(nodeCount).fill(-1)
  const moduleOf = new Map<number, string>()
  for (let i = 1; i < tail; i++) {
    const n = order[i]!
    const p = parent[n]!
    if (owner[p]! >= 0) {
      owner[n] = owner[p]!
      continue
    }
    if (typeOf(n) === 'code' || typeOf(n) === 'closure' || typeOf(n) === 'hidden') continue
    const file = contextFile.get(p)
    if (file === undefined) continue
    const variable = variableName(p, viaEdge[n]!)
    // Vitest's module wrapper's own variables (imports, exports) hold other modules, not data.
    if (variable === undefined || /^__vi(te)?_/.test(variable)) continue
    variableOf.set(n, variable)
    owner[n] = n
    moduleOf.set(n, file)
  }
  // Bytes under each node of the tree, children first.
  const under = new Float64Array(nodeCount)
  for (let i = tail - 1; i > 0; i--) {
    const n = order[i]!
    under[n]! += nodes[n * nw + nSize]!
    under[parent[n]!]! += under[n]!
  }
  const sizes = new Map<number, number>()
  const ranked: Array<{ root: number; bytes: number; growth: number }> = []
  for (const root of moduleOf.keys()) {
    const id = nodes[root * nw + nId]!
    const bytes = under[root]!
    sizes.set(id, bytes)
    const before = options.previous?.get(id)
    ranked.push({ root, bytes, growth: options.previous ? bytes - (before ?? 0) : bytes })
  }
  ranked.sort((a, b) => b.growth - a.growth)
  // Children of a node in the tree, found once for the few holders described.
  const childrenOf = (n: number): number[] => {
    const out: number[] = []
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      const to = edges[e * ew + eTo]! / nw
      if (parent[to] === n && viaEdge[to] === e) out.push(to)
    }
    return out
  }
  const label = (step: Step): string => {
    const kind = kindOf(step.node)
    const name = step.edgeType === 'element' ? `[${step.edgeName}]` : step.edgeName
    return `${name} (${kind})`
  }
  const kindOf = (n: number): string => {
    const type = typeOf(n)
    if (type === 'object' || type === 'native') return nameOf(n).split(' / ')[0] || 'Object'
    if (type === 'closure') return `function ${nameOf(n) || '(anonymous)'}`
    return type
  }
  const holders: Holder[] = []
  for (const { root, bytes } of ranked.slice(0, top)) {
    if (bytes < (options.minBytes ?? 0)) continue
    const steps: Step[] = []
    let n = root
    for (let depth = 0; depth < 12; depth++) {
      const edge = viaEdge[n]!
      steps.push({ edgeType: edgeTypeOf(edge), edgeName: edgeTypeOf(edge) === 'element' || edgeTypeOf(edge) === 'hidden' ? String(edges[edge * ew + eName]) : strings[edges[edge * ew + eName]!]!, node: n })
      // Follow the child that holds most, while it holds most of what is here.
      let best = -1
      for (const c of childrenOf(n)) if (best < 0 || under[c]! > under[best]!) best = c
      if (best < 0 || under[best]! < 0.5 * under[n]!) break
      n = best
    }
    const shown = steps.filter((s, i) => i === 0 || !internal(s, typeOf(s.node)))
    const id = nodes[root * nw + nId]!
    shown[0] = { ...shown[0]!, edgeType: 'context', edgeName: variableOf.get(root)! }
    const holder: Holder = { path: [`module ${moduleOf.get(root)}`, ...shown.map(label)].join(' > '), bytes, id }
    const before = options.previous?.get(id)
    if (before !== undefined) holder.bytesBefore = before
    holders.push(holder)
  }
  return { holders, sizes }
}

/** V8's own edges and objects on a path (a Map's hash table, an array's backing store): summarized away. */
function internal(step: Step, nodeType: string): boolean {
  return step.edgeType === 'internal' || step.edgeType === 'hidden' || step.edgeType === 'shortcut' || nodeType === 'hidden' || nodeType === 'array' || nodeType === 'code'
}
