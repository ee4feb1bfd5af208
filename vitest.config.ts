import { defineConfig } from 'vitest/config'

// Tests import workspace packages through the `@labelpipe/source` export condition, so they run against
// src/*.ts without a build; only the CLI end-to-end tests run the built dist, as users do.
const conditions = ['@labelpipe/source', 'node', 'import', 'default']
// Vitest passes ssr.resolve.conditions to the workers as node --conditions, which also steer require(): with
// 'import' there, pg's require('pg-pool') loads pg-pool's ESM build (require(esm), Node >= 20.19) and pg fails
// to load. Vite adds 'import'/'require' per import kind by itself, so the workers get only the custom ones.
const workerConditions = ['@labelpipe/source', 'node']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: workerConditions, externalConditions: ['@labelpipe/source'] } },
  test: {
    reporters: ['default', './test/setup/plain-summary-reporter.ts'],
    setupFiles: ['./test/setup/fail-on-console.ts'],
    projects: [
      { extends: true, test: { name: 'packages', include: ['packages/*/src/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
})
