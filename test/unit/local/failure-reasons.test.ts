import { describe, expect, it } from 'vitest';
import { FailureReasons } from '../../../local/failure-reasons';

describe('FailureReasons', () => {
  it('gives the last reason recorded for a position once, and nothing for another position', () => {
    const reasons = new FailureReasons();
    reasons.record({ topic: 'events', partition: 1, offset: 7, reason: 'held by another invocation' });
    reasons.record({ topic: 'events', partition: 1, offset: 7, reason: 'message id reused with a different payload' });
    reasons.record({ topic: 'events', partition: 2, offset: 7, reason: 'processor failed' });
    expect(reasons.take('events', 1, 8)).toBeUndefined();
    expect(reasons.take('events', 1, 7)).toBe('message id reused with a different payload');
    expect(reasons.take('events', 1, 7)).toBeUndefined();
    expect(reasons.take('events', 2, 7)).toBe('processor failed');
  });

  it('forgets the oldest positions past 10,000', () => {
    const reasons = new FailureReasons();
    for (let offset = 0; offset <= 10_000; offset += 1) reasons.record({ topic: 't', partition: 0, offset, reason: `r${offset}` });
    expect(reasons.take('t', 0, 0)).toBeUndefined();
    expect(reasons.take('t', 0, 1)).toBe('r1');
    expect(reasons.take('t', 0, 10_000)).toBe('r10000');
  });
});
