import { rmSync } from 'node:fs'
import { expect, test } from 'vitest'
import { copyFixture, runVitest } from '../helpers/run-vitest.ts'

test('--shard with --reporter=blob, then --merge-reports: one report with every test\'s memory', async () => {
  const dir = copyFixture('shard')
  try {
    const first = await runVitest(dir, ['run', '--shard=1/2', '--reporter=blob'])
    expect(first.code, first.output).toBe(0)
    expect(first.report?.summary.runBudgetsDeferred).toBe(true)
    expect(first.report?.tests).toHaveLength(2)
    const second = await runVitest(dir, ['run', '--shard=2/2', '--reporter=blob'])
    expect(second.code, second.output).toBe(0)
    expect(second.report?.tests).toHaveLength(2)

    const merged = await runVitest(dir, ['--merge-reports'])
    expect(merged.code, merged.output).toBe(0)
    const report = merged.report!
    expect(report.tests.map((t) => t.name).sort()).toEqual(['shard file 1', 'shard file 2', 'shard file 3', 'shard file 4'])
    for (const t of report.tests) {
      expect(t.verdict).toBe('pass')
      expect(t.heapAfter).toBeGreaterThan(0)
    }
    expect(report.files).toHaveLength(4)
    // Run-level budgets are judged here, in the merge run, not in the shards.
    expect(report.summary.runBudgetsDeferred).toBe(false)
    expect(report.workers.every((w) => w.verdict === 'pass')).toBe(true)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
