import { defineConfig } from 'vitest/config';

// Tiers are told apart by file name: *.unit.spec.ts (pure, no servers), *.vtime.spec.ts (workflows in
// virtual time on Temporal's test server), *.int.spec.ts (real servers, started by `make test`),
// test/e2e/* (across services).
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '.state/**', 'dist/**'],
    reporters: ['default', './test/summaryReporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/*.unit.spec.ts'] } },
      {
        extends: true,
        test: {
          // Virtual-time workflow tests (test/virtualTime/): each file starts Temporal's Java test server
          // (a JVM, ~1 s) and a worker with plain-object activity dependencies; no server of the stack.
          name: 'workflows',
          include: ['**/*.vtime.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One file at a time, in a group of its own (after the unit and integration files, before the
          // faults): virtual time is precise, but a starved JVM misses sdk-core's start-up deadline.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.spec.ts', 'test/**/*.spec.ts'],
          // The faults and the scale-out suite run in groups of their own (below), not here as well.
          exclude: [
            '**/*.unit.spec.ts',
            '**/*.vtime.spec.ts',
            '**/node_modules/**',
            '.state/**',
            'test/faults/**',
            'test/scaleout/**',
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Real servers on 2 cores: run files one after another so timeouts mean faults, not contention.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Fault injection (test/faults): each file kills and restarts a server or service under load.
          name: 'faults',
          include: ['test/faults/**/*.faults.spec.ts'],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // Its own group, last: vitest runs groups one after another (unit and integration = group 0,
          // workflows = 1, this = 2), so a killed broker never hits another suite's test.
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          // Scale-out (test/scaleout): two instances of every service on one machine, one of each killed,
          // a consumer group rebalanced. A group of its own, after the faults: fifteen processes on the
          // test servers must not share them with another suite's timeouts.
          name: 'scaleout',
          include: ['test/scaleout/**/*.scaleout.spec.ts'],
          testTimeout: 360_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
