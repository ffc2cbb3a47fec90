import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // integration tests drive real podman/QEMU; two cores, so keep files from fighting for them
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    // the container tests' own dockerd: leased per run, stopped by the last run to finish
    globalSetup: ['test/helpers/global-setup.ts'],
    hookTimeout: 600_000,
    // json: .ci/run turns it into the `N passed, N failed` line CI reads; junit: for CI systems that show test cases
    reporters: ['default', 'json', 'junit'],
    outputFile: { json: 'test-results/vitest.json', junit: 'test-results/junit.xml' },
  },
});
