import { describe, expect, it } from 'vitest';
import { GARBAGE_INPUT_SHORT, runGarbageInput } from '../../../chaos/scenarios/garbage-input';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: garbage input (short)', () => {
  // Garbage the API accepts but the sink cannot hold is retried before the valid requests behind it.
  it('answers 300 malformed requests and 100 malformed events in the contract shape, never 500, and keeps serving valid ones', {
    timeout: 180_000,
  }, async () => {
    const report = await runGarbageInput({ logger: silentLogger, size: GARBAGE_INPUT_SHORT });
    const text = reportText(report);
    expect(report.broken, text).toEqual([]);
    expect(report.details.probes_failed, text).toBe(0);
    expect(report.counts.acknowledged, text).toBe(16);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
  });
});
