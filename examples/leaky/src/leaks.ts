// Small reproductions of real incidents (see the project's seeds). Each keeps memory alive
// past the end of the test that used it.
import { EventEmitter } from 'node:events'

/** An unbounded memo cache: every distinct key stays forever. */
const cache = new Map<string, number[]>()
export function lookupPrice(sku: string): number[] {
  let entry = cache.get(sku)
  if (!entry) {
    entry = Array.from({ length: 64 }, (_, i) => i * 1.5)
    cache.set(sku, entry)
  }
  return entry
}

/** seeds/004: a log line buffer whose flush forgets to clear it. */
export class LineBuffer {
  lines: string[] = []
  flushed = 0
  add(line: string): void {
    this.lines.push(line)
    if (this.lines.length % 1000 === 0) this.flush()
  }
  flush(): void {
    this.flushed += this.lines.length
    // BUG: this.lines.length = 0 is missing
  }
}
export const sharedBuffer = new LineBuffer()

/** A long-lived emitter that every request subscribes to and nobody unsubscribes from. */
export const bus = new EventEmitter()
bus.setMaxListeners(0)
export function handleRequest(payload: string): void {
  const context = { payload, received: Date.now() }
  bus.on('shutdown', () => context.payload.length)
}

/** seeds/000: a pipeline whose caller iterates the queued command instead of its result. */
class Pipeline {
  queue: Array<{ command: string; args: string[] }> = []
  smembers(key: string): { command: string; args: string[] } {
    const queued = { command: 'SMEMBERS', args: [key, ...Array.from({ length: 200 }, (_, i) => `field-${i}`)] }
    this.queue.push(queued)
    return queued
  }
  set(key: string, value: string): void {
    this.queue.push({ command: 'SET', args: [key, value] })
  }
}
export const pipeline = new Pipeline()
export function reparentChildren(parent: string, children: number): number {
  const queued = pipeline.smembers(`children:${parent}`)
  // BUG: iterates the queued command's arguments, many times per child.
  for (let c = 0; c < children; c++) for (const child of queued.args) pipeline.set(`parent:${child}:${c}`, parent)
  return pipeline.queue.length
}

/** seeds/001: a module-level error list that keeps every error and its context. */
export const errorLog: Array<{ error: Error; context: unknown }> = []
export function risky(input: number): void {
  try {
    if (input % 2 === 0) throw new Error(`bad input ${input}`)
  } catch (error) {
    errorLog.push({ error: error as Error, context: { input, snapshot: new Array(2_000).fill(input) } })
  }
}

/**
 * seeds/002 (MEM-001): every test creates an engine and registers its tables with a global
 * metadata registry (SQLModel.metadata in the original), which keeps every engine alive.
 */
interface Engine {
  url: string
  tables: Array<{ name: string; columns: string[] }>
}
class MetaData {
  engines: Engine[] = []
  createAll(engine: Engine): void {
    this.engines.push(engine)
  }
}
export const metadata = new MetaData()
export function createEngine(url: string): Engine {
  const tables = Array.from({ length: 40 }, (_, t) => ({ name: `table_${t}`, columns: Array.from({ length: 20 }, (_column, c) => `${url}/table_${t}.column_${c}`) }))
  const engine = { url, tables }
  metadata.createAll(engine)
  return engine
}
