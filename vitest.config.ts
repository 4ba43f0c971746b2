import { defineConfig } from 'vitest/config'

// Our own suite. End-to-end tests spawn Vitest on fixture projects (test/fixtures/*), which
// are copied to test/.tmp/ first so parallel runs never share a report file.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'test/.tmp/**', '**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
