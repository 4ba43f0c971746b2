import memory from 'vitest-memory'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [memory({ budget: { retained: '1 MB' } })],
})
