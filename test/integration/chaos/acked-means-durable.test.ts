import { describe, expect, it } from 'vitest';
import { ACKED_MEANS_DURABLE_SHORT, runAckedMeansDurable } from '../../../chaos/scenarios/acked-means-durable';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: acked means durable (short)', () => {
  // Its own broker, restarted twice: each JVM start takes seconds on a small machine.
  it('puts every acknowledged message on the topic and in the sink exactly once while the broker restarts twice', { timeout: 120_000 }, async () => {
    const report = await runAckedMeansDurable({ logger: silentLogger, size: ACKED_MEANS_DURABLE_SHORT });
    const text = reportText(report);
    expect(report.broken, text).toEqual([]);
    expect(report.details.broker_restarts, text).toBe(2);
    expect(report.counts.acknowledged, text).toBe(200);
    expect(report.counts.onTopic, text).toBe(200);
    expect(report.counts.inSink, text).toBe(200);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
  });
});
