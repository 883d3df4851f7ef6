import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests run in parallel; integration tests share one real topology
// (3 Postgres + 3-node NATS started by infra/stack) and pause/kill its processes, so they run
// one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{apps,libs,infra,chaos,e2e,bench}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          // Property tests run hundreds of cases; a loaded machine must not turn that into a failure.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{apps,libs,infra,chaos,e2e}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['infra/stack/vitest-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
