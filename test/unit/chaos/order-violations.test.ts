import { describe, expect, it } from 'vitest';
import { orderViolations, type SinkItem } from '../../../chaos/scenarios/consumer-crash';

function item(key: string, seq: number, offset: number, processedAt: string, partition = 0): SinkItem {
  return { id: `${key}-${seq}`, key, seq, partition, offset, processedAt };
}

describe('orderViolations', () => {
  it('finds none when each key grows in offset and processing time with its sequence', () => {
    expect(
      orderViolations([
        item('a', 0, 0, '2026-11-27T00:00:00.000Z'),
        item('b', 0, 1, '2026-11-27T00:00:00.000Z'),
        item('a', 1, 2, '2026-11-27T00:00:00.001Z'),
        item('b', 1, 3, '2026-11-27T00:00:00.002Z'),
      ]),
    ).toBe(0);
  });

  it('counts a message processed before its predecessor of the same key', () => {
    expect(orderViolations([item('a', 0, 0, '2026-11-27T00:00:01.000Z'), item('a', 1, 1, '2026-11-27T00:00:00.000Z')])).toBe(1);
  });

  it('counts a later sequence number at a lower offset', () => {
    expect(orderViolations([item('a', 0, 5, '2026-11-27T00:00:00.000Z'), item('a', 1, 4, '2026-11-27T00:00:00.000Z')])).toBe(1);
  });

  it('counts a key split across partitions', () => {
    expect(orderViolations([item('a', 0, 0, '2026-11-27T00:00:00.000Z', 0), item('a', 1, 1, '2026-11-27T00:00:00.000Z', 1)])).toBe(1);
  });
});
