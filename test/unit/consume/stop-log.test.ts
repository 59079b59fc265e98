import { describe, expect, it } from 'vitest';
import { createStopLog } from '../../../lib/consume/partition-worker';
import type { RecordFailure } from '../../../lib/consume/partition-worker';
import { createLogger } from '../../../lib/logger';

const partition = { topic: 'orders', partition: 2, partitionKey: 'orders-2', entries: [] };
const offsets = [40, 41, 42, 43];

function setup() {
  const told: RecordFailure[] = [];
  const logged: { offset: unknown; reason: unknown }[] = [];
  const logger = createLogger('warn', (line) => {
    const { offset, reason } = JSON.parse(line) as { offset: unknown; reason: unknown };
    logged.push({ offset, reason });
  });
  const stops = createStopLog(partition, offsets, { logger, onRecordFailed: (failure) => told.push(failure) });
  return { stops, told, logged };
}

describe('createStopLog', () => {
  it('stops at the first failure and tells its reason', () => {
    const { stops, told, logged } = setup();
    stops.fail(2, { reason: 'processor failed' });
    expect(stops.failedIndex()).toBe(2);
    expect(told).toEqual([{ topic: 'orders', partition: 2, offset: 42, reason: 'processor failed' }]);
    expect(logged).toEqual([{ offset: 42, reason: 'processor failed' }]);
  });

  it('keeps the earlier stop and its reason when a later record fails too, logging that one under its own offset', () => {
    const { stops, told, logged } = setup();
    stops.fail(1, { reason: 'claim lost' });
    stops.fail(3, { reason: 'completion failed' });
    stops.fail(1, { reason: 'completion failed' });
    expect(stops.failedIndex()).toBe(1);
    expect(told).toEqual([{ topic: 'orders', partition: 2, offset: 41, reason: 'claim lost' }]);
    expect(logged).toEqual([
      { offset: 41, reason: 'claim lost' },
      { offset: 43, reason: 'completion failed' },
      { offset: 41, reason: 'completion failed' },
    ]);
  });

  it('moves the stop earlier, with the new reason, when an earlier record fails later', () => {
    const { stops, told } = setup();
    stops.fail(3, { reason: 'processor failed' });
    stops.fail(0, { reason: 'completion failed' });
    expect(stops.failedIndex()).toBe(0);
    expect(told.map(({ offset, reason }) => [offset, reason])).toEqual([
      [43, 'processor failed'],
      [40, 'completion failed'],
    ]);
  });
});
