import { defineConfig } from 'vitest/config';

// The unit tests alone, without the broker and store of the global setup: what `npm run mutation`
// reruns for every mutant. The integration tests cross a wire and take minutes, too slow for that.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
