// Accuracy targets (README "Accuracy"), end to end on the corpus in test/fixtures/accuracy, whose
// test names carry what each test really does. bench/accuracy.mjs measures the same corpus over
// several rounds and against the true growth per run; this test asserts the targets once per leg:
// - repetition: every per-run leak >= 2 kB is reported as a leak, with the signal that grew, and no
//   one-time or clean test is;
// - single pass with a 64 kB retained budget, exact and auto mode: every heap leak >= 64 kB fails its
//   test, no clean test does (set aside and named: on Node 20 one reading per run off by its ~250 kB
//   jumps, one 64k leak read within 4 kB under the budget, the precision of a reading under load,
//   and in auto mode bounded readings whose range straddles the budget, which auto mode passes);
// - in both: native leaks are named by their signal, handle leaks by their type in handlesLeft.
import { beforeAll, describe, expect, test } from 'vitest'
import type { MemoryReport } from 'vitest-memory'
import { classify } from './fixtures/accuracy/corpus.js'
import { runFixture, type RunResult } from './helpers/run-vitest.ts'

type TestEntry = MemoryReport['tests'][number]

const node20 = Number(process.versions.node.split('.')[0]) < 22
/**
 * Node 20 (V8 11.3) now and then moves a heap reading by about one 256 kB heap page, in either
 * direction, whatever the test did (README "Accuracy"): a clean test reads +250 kB, a leak reads
 * 250 kB low. A verdict that misses by more than JUMP is that; on Node 20 one per single pass is
 * set aside (and named in the output), never a miss of any other shape.
 */
const JUMP = 150_000
const JUMPS_ALLOWED = node20 ? 1 : 0
/**
 * An exact reading is precise to a few kB: under load, Vitest's task updates still waiting for the
 * main process's answer when a test starts (a few kB) are released during it and read as negative
 * growth. The 64k leaks sit 1.5 kB above the 64 KB budget, so one of them can read just under it:
 * at most one per single pass, within BOUNDARY of the budget, is set aside and named.
 */
const BUDGET = 64_000
const BOUNDARY = 4_000

const singles: Partial<Record<'exact' | 'auto', RunResult>> = {}
let repeated: RunResult
beforeAll(async () => {
  // Single pass: the whole corpus, in exact mode and in the default auto mode. Repetition: the
  // core cases (about 30), to keep this leg short. One after the other: on 2 cores, three Vitest
  // runs at once are load enough to move single readings by a few kB (see BOUNDARY).
  const single = (mode: 'exact' | 'auto') => runFixture('accuracy', ['run'], { env: { ACC_BUDGET: '64 KB', VITEST_MEMORY_MODE: mode === 'exact' ? 'exact' : '' }, timeoutMs: 200_000 })
  singles.exact = await single('exact')
  singles.auto = await single('auto')
  repeated = await runFixture('accuracy', ['run'], { env: { ACC_REPEAT: '1', ACC_CORE: '1' }, timeoutMs: 400_000 })
}, 820_000)

function cases(run: RunResult) {
  const tests = run.report?.tests ?? []
  return tests.map((t) => ({ t, c: classify(t.name)! })).filter(({ c }) => c !== undefined)
}

/** `name: verdict (detail)` lines for a failure message: every offender at once, not the first. */
function list(entries: Array<{ t: TestEntry }>, detail: (t: TestEntry) => string): string[] {
  return entries.map(({ t }) => `${t.name}: ${detail(t)}`)
}
const runsOf = (t: TestEntry) => t.repeat ? `${t.repeat.verdict} ${t.repeat.signal ?? ''} ${t.repeat.perRun} B/run; heap runs ${t.repeat.runs.map((r) => r.heap).join(' ')}` : 'not repeated'

describe('repetition (core corpus, default runs)', () => {
  test('the corpus ran: at least 30 repeated tests, every one with a verdict', () => {
    const all = cases(repeated)
    expect(all.length, repeated.output.slice(-3000)).toBeGreaterThanOrEqual(30)
    expect(list(all.filter(({ t }) => !t.repeat), runsOf)).toEqual([])
  })

  test('every leak of 2 kB per run or more is reported as a leak, with the signal that grew', () => {
    const leaks = cases(repeated).filter(({ c }) => (c.cls === 'leak' || c.cls === 'native' || c.cls === 'handle') && c.bytes >= 2_000)
    expect(leaks.length).toBeGreaterThanOrEqual(12)
    // Native memory a library does not report to V8 shows only in RSS, and only once the allocator has
    // no free memory left to reuse: until then the engines' JS wrappers (~2 kB per run) are what grows.
    const signalsOf = (name: string, cls: string) => (cls === 'native' ? (name.includes('sqlite') ? ['rss', 'heap'] : ['external']) : ['heap'])
    const wrong = leaks.filter(({ t, c }) => t.repeat?.verdict !== 'leak' || !signalsOf(t.name, c.cls).includes(t.repeat.signal!))
    expect(list(wrong, runsOf)).toEqual([])
    for (const { t } of leaks) expect(t.verdict, t.name).toBe('fail')
  })

  test('the rate per run is close to the true one', () => {
    // Heap leaks: the nominal size plus a few hundred bytes of the test's own bookkeeping per run.
    const off = cases(repeated).filter(({ c }) => c.cls === 'leak' || (c.cls === 'native' && c.bytes >= 16_000))
      .filter(({ t, c }) => !(t.repeat!.perRun >= 0.75 * c.bytes && t.repeat!.perRun <= 1.6 * c.bytes + 1_500))
    expect(list(off, runsOf)).toEqual([])
  })

  test('no one-time or clean test is reported as a leak', () => {
    const quiet = cases(repeated).filter(({ c }) => c.cls === 'clean' || c.cls === 'one-time')
    expect(quiet.length).toBeGreaterThanOrEqual(10)
    expect(list(quiet.filter(({ t }) => t.repeat?.verdict === 'leak' || t.verdict === 'fail'), runsOf)).toEqual([])
  })

  test('growth in the first runs only is reported as one-time', () => {
    const once = cases(repeated).filter(({ t }) => /lazy singleton|cache entry replaced|code compiled|module imported|1 MB Buffer allocated once/.test(t.name))
    expect(once.length).toBeGreaterThanOrEqual(5)
    expect(list(once.filter(({ t }) => t.repeat?.verdict !== 'one-time'), runsOf)).toEqual([])
  })

  test('handle leaks are named by their type', () => {
    const handles = cases(repeated).filter(({ c }) => c.cls === 'handle')
    expect(handles.length).toBeGreaterThanOrEqual(4)
    expect(list(handles.filter(({ t, c }) => !((t.handlesLeft?.[c.handle!] ?? 0) >= 1)), (t) => JSON.stringify(t.handlesLeft ?? {}))).toEqual([])
  })
})

describe.each(['exact', 'auto'] as const)('single pass, 64 kB retained budget, %s mode (whole corpus)', (mode) => {
  const run = () => singles[mode]!
  const detail = (t: TestEntry) => `${t.verdict}, retained ${t.retained}${t.retainedMax === undefined ? '' : `-${t.retainedMax}`} (${t.precision})`
  /** Heap leaks of 64 kB or more that passed, and clean tests that failed. */
  const misses = () => {
    const missed = cases(run()).filter(({ t, c }) => c.cls === 'leak' && c.bytes >= 64_000 && (t.verdict !== 'fail' || !t.violations?.some((v) => v.metric === 'retained')))
    const flagged = cases(run()).filter(({ t, c }) => c.cls === 'clean' && t.verdict !== 'pass')
    const jumps = [...missed.filter(({ t, c }) => t.retained < c.bytes - JUMP), ...flagged.filter(({ t }) => t.retained > JUMP)]
    // Auto mode by design: a `bounded` reading (the test started from a cheap reading) fails a test
    // only when its lower bound is over budget; the bound is at most the slack (32 kB here) wide.
    const straddling = missed.filter(({ t }) => mode === 'auto' && t.precision === 'bounded' && t.retainedMax !== undefined && t.retainedMax > BUDGET && t.retained > BUDGET - 32_000)
    const boundary = missed.filter((m) => !straddling.includes(m) && m.t.retained > BUDGET - BOUNDARY && m.t.retained <= BUDGET)
    return { missed, flagged, jumps, boundary, straddling }
  }

  test('the corpus ran', () => {
    expect(cases(run()).length, run().output.slice(-3000)).toBeGreaterThanOrEqual(40)
    expect(cases(run()).every(({ t }) => t.repeat === undefined)).toBe(true)
  })

  test('every heap leak of 64 kB or more fails its test on the retained budget', () => {
    expect(cases(run()).filter(({ c }) => c.cls === 'leak' && c.bytes >= 64_000).length).toBeGreaterThanOrEqual(6)
    const { missed, jumps, boundary, straddling } = misses()
    expect(list(missed.filter((m) => !jumps.includes(m) && !boundary.includes(m) && !straddling.includes(m)), detail)).toEqual([])
    expect(run().output).toMatch(/MemoryBudgetError: retained/)
  })

  test('no clean test is flagged', () => {
    expect(cases(run()).filter(({ c }) => c.cls === 'clean').length).toBeGreaterThanOrEqual(12)
    const { flagged, jumps } = misses()
    expect(list(flagged.filter((m) => !jumps.includes(m)), detail)).toEqual([])
  })

  test(`set aside: at most ${JUMPS_ALLOWED} of Node 20's page-sized jumps and 1 leak read within ${BOUNDARY / 1000} kB under the budget`, () => {
    const { jumps, boundary, straddling } = misses()
    for (const [what, entries] of [['heap jumps', jumps], ['boundary readings', boundary], ['bounded readings straddling the budget', straddling]] as const) {
      if (entries.length) console.log(`${mode} single pass, Node ${process.versions.node}: set aside as ${what}: ${list(entries, detail).join('; ')}`)
    }
    expect(list(jumps, detail).length, list(jumps, detail).join('\n')).toBeLessThanOrEqual(JUMPS_ALLOWED)
    expect(list(boundary, detail).length, list(boundary, detail).join('\n')).toBeLessThanOrEqual(1)
  })

  test('native leaks show as external memory, handle leaks by their type', () => {
    const buffers = cases(run()).filter(({ t, c }) => c.cls === 'native' && t.name.includes('Buffers'))
    expect(buffers.length).toBeGreaterThanOrEqual(3)
    const low = buffers.filter(({ t, c }) => t.externalAfter - t.externalBefore < 0.9 * c.bytes)
    expect(list(low, (t) => `external +${t.externalAfter - t.externalBefore}`)).toEqual([])
    const handles = cases(run()).filter(({ c }) => c.cls === 'handle')
    expect(list(handles.filter(({ t, c }) => !((t.handlesLeft?.[c.handle!] ?? 0) >= 1)), (t) => JSON.stringify(t.handlesLeft ?? {}))).toEqual([])
  })
})

describe('neighbours: a test is never charged for what Vitest keeps about the test before it', () => {
  const neighbours = (mode: 'exact' | 'auto') => (singles[mode]?.report?.tests ?? []).filter((t) => t.file.endsWith('neighbours.test.ts'))
  const detail = (t: TestEntry) => `${t.verdict}, retained ${t.retained}${t.retainedMax === undefined ? '' : `-${t.retainedMax}`} (${t.precision})`

  test('no clean neighbour is flagged, in either mode (no readings set aside here)', () => {
    for (const mode of ['exact', 'auto'] as const) {
      const clean = neighbours(mode).filter((t) => classify(t.name.split(' > ').at(-1)!)?.cls === 'clean')
      expect(clean.length, mode).toBeGreaterThanOrEqual(20)
      expect(list(clean.filter((t) => t.verdict !== 'pass' && t.verdict !== 'unchecked').map((t) => ({ t })), detail), mode).toEqual([])
    }
  })

  test('auto mode gives every neighbours test the verdict exact mode gives it', () => {
    const exact = new Map(neighbours('exact').map((t) => [t.name, t]))
    const auto = neighbours('auto')
    expect(auto.length).toBe(exact.size)
    const differ = auto.filter((t) => exact.get(t.name)?.verdict !== t.verdict)
    expect(differ.map((t) => `${t.name}: auto ${detail(t)}, exact ${detail(exact.get(t.name)!)}`)).toEqual([])
  })
})

