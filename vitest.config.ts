import { defineConfig } from 'vitest/config';

// Two tiers, visible in file names: *.unit.spec.ts (pure, fast) and *.int.spec.ts
// (real emulators through the real SDK clients).
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.unit.spec.ts'],
          environment: 'node',
          // Pure tests share one module graph per worker: importing the SDK, CDK and DuckDB again for
          // every file cost three quarters of the tier's time (75 s → 22 s on the 2-core machine).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['test/**/*.int.spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file starts its own emulators; two cores cannot run many at once.
          maxWorkers: 2,
        },
      },
    ],
  },
});
