// A synthetic vitest-memory report of any size, shaped like a real one (isolated forks: a fresh
// worker per file, round-robin over the pool slots), for the HTML report's browser tests and
// bench/html.mjs. Deterministic for a given seed.

/** @param {{ tests?: number, files?: number, slots?: number, seed?: number, names?: (i: number) => string }} [options] */
export function syntheticReport(options = {}) {
  const testCount = options.tests ?? 10_000
  const fileCount = options.files ?? Math.max(1, Math.round(testCount / 20))
  const slots = options.slots ?? 4
  let seed = options.seed ?? 1
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  const start = 1_800_000_000_000
  const tests = []
  const files = []
  const workers = []
  const perFile = Math.ceil(testCount / fileCount)
  let t = start
  const slotClock = Array.from({ length: slots }, () => start)
  let made = 0
  for (let f = 0; f < fileCount && made < testCount; f++) {
    const slot = String((f % slots) + 1)
    const pid = 10_000 + f
    const worker = { id: String(pid), slot, pid, threadId: 0, pool: 'forks' }
    const file = `src/module-${String(Math.floor(f / 50)).padStart(2, '0')}/feature-${f}.test.ts`
    t = slotClock[f % slots]
    const fileStart = t
    let heap = 9_000_000 + Math.round(random() * 2_000_000)
    const heapBefore = heap
    const series = [[t, heap, 1]]
    let peak = heap
    let retainedSum = 0
    const inFile = Math.min(perFile, testCount - made)
    for (let k = 0; k < inFile; k++) {
      const i = made++
      const leak = i % 997 === 0 ? 3_000_000 : 0
      const retained = leak + Math.round((random() - 0.3) * 40_000)
      const precision = leak ? 'exact' : random() < 0.8 ? 'estimate' : 'exact'
      const before = heap
      heap += retained
      const peakHeap = Math.max(before, heap) + Math.round(random() * 2_000_000)
      peak = Math.max(peak, peakHeap)
      t += 2 + Math.round(random() * 20)
      const duration = 1 + random() * 30
      const rss = 70_000_000 + Math.round(random() * 30_000_000)
      const verdict = leak ? 'fail' : i % 1_499 === 0 ? 'warn' : 'pass'
      const test = {
        id: `${f}_${k}`,
        file,
        name: options.names ? options.names(i) : `feature ${f} > behaves ${k} when input ${i % 7} is given`,
        project: '',
        state: leak ? 'failed' : 'passed',
        retained,
        precision,
        heapBefore: before,
        heapAfter: heap,
        peakHeap,
        rssBefore: rss,
        rssAfter: rss + 100_000,
        rssPeak: rss + 200_000,
        externalBefore: 1_500_000,
        externalAfter: 1_500_000 + (leak ? 1000 : 0),
        arrayBuffersBefore: 20_000,
        arrayBuffersAfter: 20_000,
        gcs: Math.round(random() * 3),
        majorGcs: 0,
        harnessGcMs: Math.round(random() * 5_000) / 1000,
        harnessGcs: 2,
        durationMs: Math.round(duration * 1000) / 1000,
        budget: { retained: 1_000_000 },
        budgetMode: 'fail',
        verdict,
        worker,
        at: t,
        line: 4 + k * 5,
      }
      if (verdict === 'fail') test.violations = [{ metric: 'retained', limit: 1_000_000, actual: retained, message: `retained ${(retained / 1e6).toFixed(2)} MB after GC, budget 1 MB (+${Math.round((retained / 1e6 - 1) * 100)}%)` }]
      if (verdict === 'fail') {
        test.diagnosis = {
          sites: [
            { file: `src/module-${f}/cache.ts`, line: 12, column: 3, function: 'remember', bytes: Math.round(retained * 0.7), samples: 20 },
            { file, line: 4 + k * 5, column: 40, function: '(anonymous)', bytes: Math.round(retained * 0.3), samples: 9 },
          ],
          paths: [{ path: `module src/module-${f}/cache.ts > memo (Map)`, bytes: retained + 5_000, bytesBefore: 5_000 }],
          ms: 850,
        }
      }
      if (verdict === 'warn') {
        test.budgetMode = 'warn'
        test.violations = [{ metric: 'peak', limit: 500_000, actual: peakHeap - before, message: `peak heap ${((peakHeap - before) / 1e6).toFixed(2)} MB above start, budget 500 kB` }]
      }
      if (i % 11 === 0) test.baseline = { status: 'same', retained: retained - 1000, peak: peakHeap - before, retainedDelta: 1000, peakDelta: 0 }
      else if (i % 53 === 0) test.baseline = { status: 'new' }
      else if (leak) test.baseline = { status: 'regressed', retained: 10_000, peak: 100_000, retainedDelta: retained - 10_000, peakDelta: peakHeap - before - 100_000, messages: [`retained ${(retained / 1e6).toFixed(2)} MB after GC, baseline 10 kB`] }
      else test.baseline = { status: 'same', retained, peak: peakHeap - before, retainedDelta: 0, peakDelta: 0 }
      tests.push(test)
      retainedSum += retained
      series.push([t, heap, precision === 'estimate' ? 0 : 1])
    }
    t += 5
    series.push([t, heap, 1])
    slotClock[f % slots] = t + 20
    files.push({
      file, project: '', tests: inFile, testsRetained: retainedSum, retained: heap - heapBefore, precision: 'exact',
      heapBefore, heapAfter: heap, peakHeap: peak, rssBefore: 70_000_000, rssAfter: 80_000_000, rssPeak: 100_000_000,
      externalBefore: 1_500_000, externalAfter: 1_500_000, harnessGcMs: 10, fullGcs: 4,
      budget: {}, budgetMode: 'fail', verdict: 'pass', worker, startedAt: fileStart, at: t,
    })
    workers.push({ id: worker.id, slot, pid, pool: 'forks', files: 1, tests: inFile, heapGrowth: heap - heapBefore, heapGrowthPrecision: 'exact', rssPeak: 100_000_000, series, verdict: 'pass' })
  }
  tests.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name))
  files.sort((a, b) => a.file.localeCompare(b.file))
  const failed = tests.filter((x) => x.verdict === 'fail').length
  const warned = tests.filter((x) => x.verdict === 'warn').length
  const measured = tests.filter((x) => x.precision !== 'shared')
  return {
    schemaVersion: 2,
    tool: { name: 'vitest-memory', version: '0.1.0' },
    createdAt: new Date(start).toISOString(),
    root: '/home/user/project',
    environment: { node: 'v20.20.2', vitest: '4.1.12', platform: 'linux', arch: 'x64' },
    mode: 'auto',
    pools: ['forks'],
    notes: [],
    budgets: { budget: { retained: 1_000_000 }, fileBudget: {}, workerBudget: {}, budgetMode: 'fail' },
    summary: {
      tests: tests.length, measured: measured.length, failed, warned, files: files.length, workers: workers.length,
      runBudgetsDeferred: false, harnessGcMs: 1234,
      maxRetained: Math.max(0, ...measured.map((x) => x.retained)),
      maxPeakAboveStart: Math.max(0, ...measured.map((x) => x.peakHeap - x.heapBefore)),
      maxRssPeak: Math.max(0, ...tests.map((x) => x.rssPeak)),
    },
    tests,
    files,
    workers,
    interrupted: [],
    baseline: {
      file: 'vitest-memory.baseline.json', status: 'compared', message: 'compared with vitest-memory.baseline.json (synthetic)', mode: 'fail',
      verdict: failed ? 'fail' : 'pass',
      tolerance: { retained: { relative: 0.3, absolute: 1_000_000 }, peak: { relative: 0.4, absolute: 2_000_000 } },
      summary: {
        compared: tests.filter((x) => x.baseline.status !== 'new').length,
        regressed: tests.filter((x) => x.baseline.status === 'regressed').length,
        improved: 0, new: tests.filter((x) => x.baseline.status === 'new').length, gone: 1, notRun: 0,
      },
      gone: [{ project: '', file: 'src/removed.test.ts', name: 'was here once' }],
    },
  }
}
