import { describe, expect, it } from 'vitest';
import { requestMix } from '../../../bench/findings';

describe('requestMix', () => {
  it('splits requests per record into single-item and batched ones', () => {
    const mix = requestMix({
      subject: 'consume handler',
      batchSize: 100,
      partitions: 1,
      kind: 'new',
      rounds: 1,
      recordsPerSec: 1,
      dynamoRequestsPerRecord: 2.05,
      requestsByOperation: { PutItem: 200, BatchGetItem: 1, BatchWriteItem: 4 },
    });
    expect(mix).toEqual({ singles: 2, batched: 0.05 });
  });
});
