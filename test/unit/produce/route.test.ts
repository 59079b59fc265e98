import { describe, expect, it } from 'vitest';
import { PRODUCE_ROUTE_KEY, topicSegmentOf } from '../../../lib/produce/route';

describe('topicSegmentOf', () => {
  it.each([
    ['/topics/orders', 'orders'],
    ['/topics/orders/', 'orders'],
    ['/topics/caf%C3%A9', 'caf%C3%A9'],
    ['/topics/%E0%A4%A', '%E0%A4%A'],
    ['/topics/', undefined],
    ['/topics', undefined],
    ['/topics/orders/partitions/0', undefined],
    ['/topics//', undefined],
    ['//topics/orders', undefined],
    ['/topic/orders', undefined],
    ['', undefined],
  ])('%j -> %j', (path, segment) => {
    expect(topicSegmentOf(path)).toBe(segment);
  });

  it('names the route as serverless.yml declares it', () => {
    expect(PRODUCE_ROUTE_KEY).toBe('POST /topics/{topic}');
  });
});
