import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE_SETTINGS_SHORT, runEventSourceSettings } from '../../../chaos/scenarios/event-source-settings';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: event source settings (short)', () => {
  it('filters, bisects out the crash records and redrives them under broker restarts: nothing lost, nothing twice, nothing filtered in the sink', {
    timeout: 180_000,
  }, async () => {
    const report = await runEventSourceSettings({ logger: silentLogger, size: EVENT_SOURCE_SETTINGS_SHORT });
    const text = reportText(report);
    expect(report.broken, text).toEqual([]);
    // 3 partitions x 40 messages: 30 ignored (every 4th), 6 crash (the 15th and 30th of each partition), 84 kept.
    expect(report.counts.sent, text).toBe(120);
    expect(report.counts.acknowledged, text).toBe(90);
    expect(report.counts.inSink, text).toBe(90);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
    expect(report.details.filtered_in_sink, text).toBe(0);
    expect(report.details.filtered_out, text).toBe(30);
    expect(Number(report.details.bisected), text).toBeGreaterThan(0);
  });
});
