import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the tests start real servers (sshd, influxd, chromium) and a real probe: one file at a time
    // keeps them from competing for this 2-core machine and for the CPU being measured
    fileParallelism: false,
    globalSetup: ['test/helpers/global-tmp.ts'],
    setupFiles: ['test/helpers/setup-lock.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
