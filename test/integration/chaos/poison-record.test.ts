import { describe, expect, it } from 'vitest';
import { POISON_RECORD_SHORT, runPoisonRecord } from '../../../chaos/scenarios/poison-record';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: poison record (short)', () => {
  it('retries the poison record 3 times, dead-letters it with its source, and processes the other 120 records', async () => {
    const report = await runPoisonRecord({ logger: silentLogger, size: POISON_RECORD_SHORT });
    const text = reportText(report);
    expect(report.broken, text).toEqual([]);
    expect(report.counts.retries, text).toBe(3);
    expect(report.counts.deadLettered, text).toBe(1);
    expect(report.details.dead_letter_source, text).toBe('events/1/15');
    expect(report.counts.inSink, text).toBe(120);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
  });
});
