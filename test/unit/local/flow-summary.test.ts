import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricName } from '../../../lib/observability/metrics';
import { flowFields, startFlowSummary, type FlowCounts } from '../../../local/flow-summary';
import { createMetricTotals } from '../../../local/metric-totals';
import { FakeClock } from '../../helpers/fake-clock';

const zero: FlowCounts = { produced: 0, consumed: 0, retried: 0, deadLettered: 0, offsetLag: 0, filteredOut: 0, expired: 0, bisected: 0, redriven: 0 };
const quiet = { filteredOut: 0, expired: 0, bisected: 0, redriven: 0 };

describe('flowFields', () => {
  it('turns the change between two readings into rates per second and counts', () => {
    const later: FlowCounts = { ...zero, produced: 1000, consumed: 900, retried: 2, deadLettered: 1, offsetLag: 100 };
    expect(flowFields(zero, later, 5_000)).toEqual({ producedPerSec: 200, consumedPerSec: 180, offsetLag: 100, retries: 2, deadLettered: 1, ...quiet });
  });

  it("counts what the mapping's settings did: filtered out, expired, bisected, redriven", () => {
    const before: FlowCounts = { ...zero, filteredOut: 4, expired: 1, bisected: 2, redriven: 3 };
    const after: FlowCounts = { ...zero, filteredOut: 10, expired: 3, bisected: 5, redriven: 7 };
    expect(flowFields(before, after, 1_000)).toMatchObject({ filteredOut: 6, expired: 2, bisected: 3, redriven: 4 });
  });

  it.each(['filteredOut', 'expired', 'bisected', 'redriven'] as const)('says something when only %s moved', (field) => {
    expect(flowFields(zero, { ...zero, [field]: 1 }, 1_000)).toMatchObject({ [field]: 1, producedPerSec: 0 });
  });

  it('rounds rates to a tenth', () => {
    expect(flowFields(zero, { ...zero, produced: 1 }, 3_000)).toMatchObject({ producedPerSec: 0.3, consumedPerSec: 0 });
  });

  it('says nothing when nothing moved, whatever the lag', () => {
    const idle: FlowCounts = { ...zero, produced: 5, consumed: 5, retried: 1, offsetLag: 7, filteredOut: 2 };
    expect(flowFields(idle, { ...idle }, 5_000)).toBeUndefined();
  });
});

describe('startFlowSummary', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one line per period in which records moved', () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const logger = {
      debug: () => undefined,
      info: (message: string, fields?: Record<string, unknown>) => lines.push([message, fields]),
      warn: () => undefined,
      error: () => undefined,
    };
    let counts: FlowCounts = zero;
    const summary = startFlowSummary({ read: () => counts, logger, clock, everyMs: 1_000 });
    counts = { ...zero, produced: 10, consumed: 4, offsetLag: 6 };
    clock.nowValueMs += 1_000;
    vi.advanceTimersByTime(1_000);
    clock.nowValueMs += 1_000;
    vi.advanceTimersByTime(1_000);
    summary.stop();
    expect(lines).toEqual([['records flowing', { producedPerSec: 10, consumedPerSec: 4, offsetLag: 6, retries: 0, deadLettered: 0, ...quiet }]]);
  });
});

describe('createMetricTotals', () => {
  it('sums counts by name, whatever their dimension', () => {
    const totals = createMetricTotals();
    totals.count(MetricName.RecordsProduced, 3);
    totals.count(MetricName.RecordsProduced, 2);
    totals.count(MetricName.Requests, 1, { name: 'outcome', value: '2xx' });
    totals.count(MetricName.Requests, 1, { name: 'outcome', value: '5xx' });
    expect([totals.total(MetricName.RecordsProduced), totals.total(MetricName.Requests), totals.total(MetricName.AckWait)]).toEqual([5, 2, 0]);
  });
});
