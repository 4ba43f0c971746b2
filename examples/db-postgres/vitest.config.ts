import memory from 'vitest-memory'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    memory({
      // PGlite 0.6 (measured, docs/db.md): the first instance of a process peaks ~700 MB of RSS,
      // each further one adds ~220 MB that stays while it is open. The fixture's one instance
      // per worker stays under this budget; four instances kept by the engine-per-test file
      // do not.
      fileBudget: { rss: '1 GB' },
    }),
  ],
  test: {
    // Starting PGlite takes a second or more (far more on a loaded machine).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Counts the PGlite instances (and pg clients) each test leaves open, in every file.
    setupFiles: ['vitest-memory/db/postgres'],
  },
})
