import { describe, expect, it } from 'vitest';
import { STORE_OUTAGE_SHORT, runStoreOutage } from '../../../chaos/scenarios/store-outage';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: store outage (short)', () => {
  it('answers 503 to keyed produce, fails records instead of skipping them, and recovers when the store returns', { timeout: 150_000 }, async () => {
    const report = await runStoreOutage({ logger: silentLogger, size: STORE_OUTAGE_SHORT });
    const text = reportText(report);
    expect(report.details.keyed_during_outage, text).toBe('503:15');
    expect(report.counts.acknowledged, text).toBe(60);
    expect(report.counts.inSink, text).toBe(60);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
    expect(report.counts.deadLettered, text).toBe(0);
    expect(report.broken, text).toEqual([]);
  });
});
