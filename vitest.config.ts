import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous limits: they exist to end a hang, not to time the code. End-to-end tests run the
    // CLI in child processes and can take minutes on a loaded machine (the hostile corpus
    // bounds each of its cases itself).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    globalSetup: ['test/global-temp.ts'],
  },
});
