import { describe, expect, it } from 'vitest';
import { CONSUMER_CRASH_SHORT, runConsumerCrash } from '../../../chaos/scenarios/consumer-crash';
import { silentLogger } from '../../../lib/logger';
import { reportText } from './report-text';

describe('chaos: consumer crash (short)', () => {
  // Each SIGKILL costs the consumer group's session timeout before the restarted process gets
  // its partitions, and the killed invocation's claims block their records until their lease ends.
  it('brings each message to the sink exactly once, in per-key order, across two SIGKILLs mid-run, half of them with non-ASCII header bytes', {
    timeout: 180_000,
  }, async () => {
    const report = await runConsumerCrash({ logger: silentLogger, size: CONSUMER_CRASH_SHORT });
    const text = reportText(report);
    expect(report.details.kills, text).toBe(2);
    expect(report.details.non_ascii_header_messages, text).toBe(300);
    expect(report.counts.inSink, text).toBe(600);
    expect(report.counts.lost, text).toBe(0);
    expect(report.counts.duplicated, text).toBe(0);
    expect(report.details.order_violations, text).toBe(0);
    expect(report.counts.deadLettered, text).toBe(0);
    expect(report.broken, text).toEqual([]);
  });
});
