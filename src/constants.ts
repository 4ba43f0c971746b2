// Defaults, in one place.

export const DEFAULT_MODE = 'auto' as const
export const DEFAULT_BUDGET_MODE = 'fail' as const
export const DEFAULT_OUTPUT_FILE = '.vitest-memory/report.json'
export const DEFAULT_TOP = 5
export const DEFAULT_TERMINAL = 'auto' as const

/**
 * Auto mode: a test whose cheap (minor-GC) reading exceeds this fraction of its retained
 * budget gets a full GC at its end, so its reading is exact where the verdict is at stake.
 */
export const ESCALATE_FRACTION = 0.5
/** Auto mode with no retained budget: escalate above this many bytes. */
export const ESCALATE_WITHOUT_BUDGET = 1_000_000
/**
 * Auto mode: run a full GC before a test once the heap has grown this fraction of the retained
 * budget since the last full GC, which bounds the garbage a later reading can include.
 */
export const SLACK_FRACTION = 0.1
/** Smallest slack, in bytes. Without a retained budget there is no slack rule (no verdict needs it). */
export const MIN_SLACK = 32_000

/** Repetition: counted runs, warm-up runs, and the growth per run below which a run is not growing. */
export const DEFAULT_REPEAT_RUNS = 10
export const DEFAULT_REPEAT_WARMUP = 2
export const DEFAULT_REPEAT_SENSITIVITY = 1_800
/**
 * Unmeasured runs before the first repeated test of a worker: its first runs also warm up Vitest's
 * and the harness's own code, and V8 keeps optimizing that code for ~40 runs, leaving a few kB of
 * compiler metadata in the heap now and then (measured, Node 20: ~4.5 kB per run at first, then
 * bumps of 2-8 kB in a third of the runs until run ~45). With 25 such runs a clean first test was
 * reported as a 2 kB leak in about one run of three on a loaded machine; with 50, none was
 * (bench/accuracy.mjs). Costs ~1-2 s per worker that repeats tests.
 */
export const FIRST_TEST_EXTRA_WARMUP = 50
/**
 * Repetition: the first repeated test's unmeasured runs end early once the heap has grown this much
 * since they began. Warm-up noise is a few kB per run; a leak of megabytes per run would otherwise
 * pile up 50 runs' worth before the first measured run (a 4 MB/run leak: 200 MB).
 */
export const WARMUP_GROWTH_CUTOFF = 4_000_000
/**
 * Repetition stops measuring once the verdict is certain: this many counted runs, each of which grew
 * one signal by more than CERTAIN_RUN_GROWTH (30 times the default sensitivity; noise is a few kB).
 */
export const CERTAIN_RUNS = 3
export const CERTAIN_RUN_GROWTH = 64_000
/**
 * Repetition: runs added when a heap leak verdict is too close to call (a rate under
 * AMBIGUOUS_LEAK_RATE sensitivities from runs that do not grow steadily); the last counted runs of
 * the longer series are judged. Node's streams, for one, keep growing for ~30 runs before they settle.
 */
export const EXTENSION_RUNS = 30
export const AMBIGUOUS_LEAK_RATE = 8
/** Repetition stops measuring once the heap or external memory has grown this much over its runs. */
export const REPEAT_PILEUP_LIMIT = 64_000_000
/**
 * "What grew" takes two heap snapshots; above this heap size it is skipped (and the report says
 * so): a snapshot of a heap this big takes seconds and about as much memory again.
 */
export const SNAPSHOT_HEAP_LIMIT = 256_000_000
/**
 * Timeout of the harness's own hooks. Vitest's default hook timeout (10 s) is the user's limit for
 * their hooks; the harness's work is bounded by itself (exact readings, capped repetition and
 * snapshots) and must never fail a test by running into that limit on a big heap.
 */
export const HARNESS_HOOK_TIMEOUT_MS = 600_000

/** Vitest's runner sends task updates at most this often (its throttle), plus a margin. */
export const VITEST_UPDATE_INTERVAL_MS = 120

/**
 * Watchdog: default hard RSS limit per worker, as a share of the machine's memory (or of the
 * container's limit). One worker using half the machine is a runaway in any test suite, and
 * stopping it at half leaves the rest of the machine (and the other workers) room to live.
 */
export const DEFAULT_WATCHDOG_RSS = 0.5
/** Watchdog: sampling interval in ms. Reading one process's RSS costs microseconds on Linux. */
export const DEFAULT_WATCHDOG_INTERVAL = 100
/** Watchdog: smallest limit accepted; an idle Vitest worker already uses most of it. */
export const MIN_WATCHDOG_RSS = 100_000_000

/** The virtual module id workers import as a setup file. No `\0`: Vitest's runner must resolve it. */
export const VIRTUAL_SETUP_ID = 'virtual:vitest-memory/setup'

/** Schema version of the JSON report. Bump on any incompatible change. */
export const REPORT_SCHEMA_VERSION = 2
/** Report versions the CLI reads (a version 1 report is a version 2 one without `diagnosis`). */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2]

/**
 * Diagnosis samples one allocation per this many bytes (V8's sampling heap profiler, randomness
 * off). 64 KiB: ~16 samples per MB kept, enough to rank the sites of a 1 MB leak; each sample is
 * one stack walk (bench/diagnose.mjs).
 */
export const DIAGNOSE_SAMPLING_INTERVAL = 65_536
/** Allocation sites kept in the report per diagnosed test (the failure message shows two). */
export const DIAGNOSE_SITES = 10
/** Default of the `diagnose` option. */
export const DEFAULT_DIAGNOSE: 'flagged' | 'all' | false = 'flagged'
