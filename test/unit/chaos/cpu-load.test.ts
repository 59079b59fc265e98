import { describe, expect, it } from 'vitest';
import { startCpuLoad } from '../../../chaos/lib/cpu-load';

describe('startCpuLoad', () => {
  it('stops every busy thread when asked', async () => {
    const load = startCpuLoad({ threads: 2 });
    const startedMs = Date.now();
    await load.stop();
    expect(Date.now() - startedMs).toBeLessThan(3_000);
  });

  it('ends by itself once its lease is no longer renewed', async () => {
    const load = startCpuLoad({ threads: 1, leaseMs: 100, renewEveryMs: 60_000 });
    const startedMs = Date.now();
    await load.ended();
    expect(Date.now() - startedMs).toBeLessThan(3_000);
  });
});
