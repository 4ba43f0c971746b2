// Repetition tells a small leak from one-time growth: each of these tests runs several times
// (`meta: { memoryRepeat: true }`), and the harness looks at what every run adds.
import { EventEmitter } from 'node:events'
import { expect, test } from 'vitest'

class RequestContext {
  constructor(readonly id: number, readonly body: string) {}
}

const server = new EventEmitter()
server.setMaxListeners(0)
let requests = 0

function handle(): void {
  const context = new RequestContext(requests++, 'x'.repeat(64))
  // BUG: one listener per request, never removed; each keeps its request context alive.
  server.on('close', () => context.body.length)
}

test('a small listener leak, confirmed by repetition', { meta: { memoryRepeat: true } }, () => {
  for (let i = 0; i < 100; i++) handle()
  expect(server.listenerCount('close')).toBeGreaterThan(0)
})

let formatter: Intl.NumberFormat | undefined
let table: number[] | undefined

test('a lazy singleton: one-time growth, not a leak', { meta: { memoryRepeat: true } }, () => {
  formatter ??= new Intl.NumberFormat('en-US')
  table ??= new Array(100_000).fill(0.5)
  expect(formatter.format(table.length)).toBe('100,000')
})
