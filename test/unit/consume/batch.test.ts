import { describe, expect, it } from 'vitest';
import { failureReport } from '../../../lib/consume/batch';
import { failed } from '../../helpers/kafka-events';

describe('failureReport', () => {
  it('names the first failed record and every later one, per partition', () => {
    expect(
      failureReport([
        { partitionKey: 'a-0', offsets: [4, 5, 6], firstFailedOffset: 5 },
        { partitionKey: 'a-1', offsets: [1, 2] },
        { partitionKey: 'b-3', offsets: [9], firstFailedOffset: 9 },
      ]),
    ).toEqual({ batchItemFailures: [failed('a-0', 5), failed('a-0', 6), failed('b-3', 9)] });
  });

  it('is empty when nothing failed', () => {
    expect(failureReport([{ partitionKey: 'a-0', offsets: [1, 2, 3] }])).toEqual({ batchItemFailures: [] });
  });

  it('reports in ascending offsets whatever the input order', () => {
    expect(failureReport([{ partitionKey: 'a-0', offsets: [8, 6, 7, 5], firstFailedOffset: 6 }])).toEqual({
      batchItemFailures: [failed('a-0', 6), failed('a-0', 7), failed('a-0', 8)],
    });
  });
});
