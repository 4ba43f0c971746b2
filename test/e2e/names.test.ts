// Test names as users write them: numbered names in natural order, and names that are keys of
// Object.prototype (constructor, toString, __proto__...) keyed as themselves. One copy of
// test/fixtures/names, run twice: writing the baseline, then comparing with it.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { copyFixture, runVitest, type RunResult } from '../helpers/run-vitest.ts'

let dir: string
let first: RunResult
beforeAll(async () => {
  dir = copyFixture('names')
  first = await runVitest(dir, ['run'], { env: { VITEST_MEMORY_UPDATE_BASELINE: '1', LEAK_MB: '3' } })
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

test('numbered names sort naturally: order 1, 2, 10, 100 (report and the "left open" list)', () => {
  const { code, output, report } = first
  expect(code, output).toBe(0)
  const ordered = report!.tests.filter((t) => t.file === 'order.test.ts').map((t) => t.name)
  expect(ordered).toEqual(['order 1', 'order 2', 'order 10', 'order 100'])
  const listed = [...output.matchAll(/order\.test\.ts > (order \d+)\s+1 Timeout/g)].map((m) => m[1])
  expect(listed, output).toEqual(['order 1', 'order 2', 'order 10', 'order 100'])
})

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'constructor #2', 'hasOwnProperty', 'toString', 'valueOf']

test('names of Object.prototype keys are baseline keys as themselves: written, then compared', async () => {
  expect(first.code, first.output).toBe(0)
  expect(first.report!.baseline).toMatchObject({ status: 'updated', update: { added: 10, changed: 0, removed: 0, kept: 0 } })
  const text = readFileSync(join(dir, 'vitest-memory.baseline.json'), 'utf8')
  const written = JSON.parse(text) as { tests: Record<string, Record<string, Record<string, { retained: number }>>> }
  const names = Object.keys(written.tests['']!['prototype.test.ts']!)
  expect(names.sort()).toEqual(PROTOTYPE_NAMES)
  expect(text).toContain('"__proto__": { "retained": ')

  const second = await runVitest(dir, ['run'], { env: { LEAK_MB: '3' } })
  expect(second.code, second.output).toBe(0)
  expect(second.report!.baseline).toMatchObject({ status: 'compared', verdict: 'pass', summary: { compared: 12, new: 0, gone: 0, regressed: 0 } })
  const tests = second.report!.tests.filter((t) => t.file === 'prototype.test.ts')
  expect(tests.map((t) => t.name).sort()).toEqual(['__proto__', 'constructor', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'])
  expect(tests.map((t) => t.baseline?.status)).toEqual(Array(6).fill('same'))
  // The second `constructor` (3 MB both times) is compared with `constructor #2`, not with the first `constructor`.
  expect(written.tests['']!['prototype.test.ts']!['constructor #2']!.retained).toBeGreaterThan(2_500_000)
  const annotations = JSON.parse(readFileSync(join(dir, 'annotations.json'), 'utf8')) as Array<[string, Array<{ type: string; message: string }>]>
  const regressions = annotations.filter(([, list]) => list.some((a) => a.message.startsWith('memory regression')))
  expect(regressions.map(([name]) => name)).toEqual([])
})
