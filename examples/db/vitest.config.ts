import memory from 'vitest-memory'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    memory({
      // 150 tests that each leave an engine and its schema in native memory grow the worker's
      // RSS by 40-50 MB; the same tests on the per-worker fixture stay under ~20 MB (the first
      // test loads drizzle and builds the engine, and V8's young generation grows to the size
      // this allocation rate asks for: the harness no longer shrinks it with a GC per test).
      fileBudget: { rss: '24 MB' },
    }),
  ],
  test: {
    // Counts the better-sqlite3 engines each test leaves open in every file, including files
    // that never import vitest-memory/db (the report's handlesLeft["better-sqlite3 Database"]).
    setupFiles: ['vitest-memory/db'],
  },
})
