import { describe, expect, it } from 'vitest';
import { CONCURRENT_REDELIVERY_SHORT, runConcurrentRedelivery } from '../../../chaos/scenarios/concurrent-redelivery';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: concurrent redelivery (short)', () => {
  it('applies each of 600 records once when two consumers get the same batches at the same time', async () => {
    const report = await runConcurrentRedelivery({ logger: silentLogger, size: CONCURRENT_REDELIVERY_SHORT });
    const text = reportText(report);
    expect(report.broken, text).toEqual([]);
    expect(report.counts.inSink, text).toBe(600);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
  });
});
