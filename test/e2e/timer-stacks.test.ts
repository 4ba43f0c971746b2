import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { copyFixture, findTest, repoDir, runVitest } from '../helpers/run-vitest.ts'

// The harness counts the timers a test leaves open without putting a frame of its own into the
// stacks of users' timer callbacks (issue 15, item 6).
test('timer callbacks run with no vitest-memory frame in their stack; timers left open are still counted', async () => {
  const dir = copyFixture('timer-stacks')
  try {
    const { code, output, report } = await runVitest(dir, ['run'], { env: { THROW: '1' } })
    // The throwing callback is an unhandled error: Vitest fails the run and prints its stack.
    expect(code, output).toBe(1)
    expect(output).toContain('thrown from a timer callback')
    const ours = new RegExp(`${repoDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(dist|src)/|Timeout\\.fire|(^|[\\s(])(\\.\\./)+(dist|src)/worker/`, 'm')
    expect(output).not.toMatch(ours)
    const stacks = readFileSync(join(dir, 'stacks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { where: string; stack: string })
    expect(stacks.map((s) => s.where).sort()).toEqual(['setInterval', 'setTimeout'])
    for (const { where, stack } of stacks) {
      const frames = stack.split('\n').slice(1).map((f) => f.trim())
      expect(frames.length, where).toBeGreaterThan(0)
      // The callback in the test file, then Node's timer internals: nothing else.
      expect(frames[0], where).toContain('timers.test.ts')
      expect(frames.filter((f) => !f.includes('timers.test.ts') && !f.includes('node:internal/timers')), `${where}:\n${stack}`).toEqual([])
    }
    expect(findTest(report, 'leaves a timeout pending').handlesLeft).toEqual({ Timeout: 1 })
    expect(findTest(report, 'a timeout that fired is not left open').handlesLeft).toBeUndefined()
    expect(findTest(report, 'a timeout cleared by its id is not left open').handlesLeft).toBeUndefined()
    expect(findTest(report, 'a timer callback that throws').handlesLeft).toBeUndefined()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
