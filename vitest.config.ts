import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Chaos scenarios that `npm test` (short versions) leaves to `npm run chaos` for now. Each still asserts its
 * promises there, and currently fails on an open defect, not on its harness:
 * - consumer-crash and store-outage: the event source's retry budget runs out before an
 *   abandoned idempotency lease (IDEMPOTENCY_LEASE_MS) or a store outage ends, so held
 *   records are dead-lettered instead of applied;
 * - garbage-input: its raw-socket client is sometimes reset (ECONNRESET) when the local HTTP
 *   server answers 413 and closes before the client has sent the whole oversized body;
 * - acked-means-durable: passes, but its two broker restarts take 60-85 s on two cores.
 * Run them with `CHAOS_ALL=1 npx vitest run test/integration/chaos` or `npm run chaos`.
 */
const CHAOS_OUTSIDE_NPM_TEST = ['consumer-crash', 'store-outage', 'garbage-input', 'acked-means-durable'].map(
  (name) => `test/integration/chaos/${name}.test.ts`,
);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.CHAOS_ALL === '1' ? [] : CHAOS_OUTSIDE_NPM_TEST)],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only make the broker and the tests fight.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
