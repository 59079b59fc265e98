import { describe, expect, it } from 'vitest';
import { detailLines, exitCode, summaryLine, zeroCounts, type ScenarioReport } from '../../../chaos/lib/report';

function report(overrides: Partial<ScenarioReport> = {}): ScenarioReport {
  return {
    scenario: 'acked-means-durable',
    counts: { sent: 5000, acknowledged: 5000, onTopic: 5000, inSink: 5000, lost: 0, duplicated: 0, retries: 123, deadLettered: 0 },
    broken: [],
    details: {},
    durationMs: 1500,
    ...overrides,
  };
}

describe('summaryLine', () => {
  it('prints every figure in the documented order and PASS when no promise broke', () => {
    expect(summaryLine(report())).toBe(
      'scenario=acked-means-durable sent=5000 acknowledged=5000 on_topic=5000 in_sink=5000 lost=0 duplicated=0 retries=123 dead_lettered=0 result=PASS',
    );
  });

  it('prints FAIL when a message was lost even if no promise was listed as broken', () => {
    expect(summaryLine(report({ counts: { ...zeroCounts(), lost: 1 } }))).toBe(
      'scenario=acked-means-durable sent=0 acknowledged=0 on_topic=0 in_sink=0 lost=1 duplicated=0 retries=0 dead_lettered=0 result=FAIL',
    );
  });
});

describe('detailLines', () => {
  it('lists the duration and details first, then each broken promise', () => {
    expect(detailLines(report({ details: { kills: 3 }, broken: ['each key is processed in order'] }))).toEqual([
      '  duration_ms=1500 kills=3',
      '  broken: each key is processed in order',
    ]);
  });
});

describe('exitCode', () => {
  it('is 0 when every scenario passed', () => {
    expect(exitCode([report(), report({ scenario: 'poison-record' })])).toBe(0);
  });

  it('is 1 when one scenario duplicated an effect', () => {
    expect(exitCode([report(), report({ counts: { ...zeroCounts(), duplicated: 2 } })])).toBe(1);
  });

  it('is 1 when no scenario ran', () => {
    expect(exitCode([])).toBe(1);
  });
});
