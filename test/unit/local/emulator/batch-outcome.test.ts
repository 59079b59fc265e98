import { describe, expect, it } from 'vitest';
import { batchOutcome, batchOutcomes } from '../../../../local/emulator/batch-outcome';

const batch = { topic: 'events', partition: 2, offsets: [10n, 11n, 12n] };
const item = (partition: unknown, offset: unknown) => ({ itemIdentifier: { partition, offset } });

describe('batchOutcome', () => {
  it('reads an empty list, a missing list and no answer at all as success', () => {
    expect(batchOutcome(batch, { response: { batchItemFailures: [] } })).toEqual({ kind: 'succeeded' });
    expect(batchOutcome(batch, { response: {} })).toEqual({ kind: 'succeeded' });
    expect(batchOutcome(batch, { response: undefined })).toEqual({ kind: 'succeeded' });
  });

  it('resumes at the lowest reported offset, whatever the order of the list', () => {
    const outcome = batchOutcome(batch, { response: { batchItemFailures: [item('events-2', 12), item('events-2', 11)] } });
    expect(outcome).toEqual({ kind: 'failed', failedOffset: 11n, functionError: 'BatchItemFailure' });
  });

  it('accepts an offset given as a decimal string', () => {
    expect(batchOutcome(batch, { response: { batchItemFailures: [item('events-2', '12')] } })).toEqual({
      kind: 'failed',
      failedOffset: 12n,
      functionError: 'BatchItemFailure',
    });
  });

  it('fails the whole batch from its first offset when the function threw', () => {
    expect(batchOutcome(batch, { error: new Error('table missing') })).toEqual({ kind: 'failed', failedOffset: 10n, functionError: 'table missing' });
  });

  it('fails the whole batch when an identifier names another partition or an offset not delivered', () => {
    const invalid = { kind: 'failed', failedOffset: 10n, functionError: 'InvalidBatchItemFailures' };
    expect(batchOutcome(batch, { response: { batchItemFailures: [item('events-1', 11)] } })).toEqual(invalid);
    expect(batchOutcome(batch, { response: { batchItemFailures: [item('events-2', 99)] } })).toEqual(invalid);
    expect(batchOutcome(batch, { response: { batchItemFailures: [item('events-2', -1)] } })).toEqual(invalid);
    expect(batchOutcome(batch, { response: { batchItemFailures: 'all' } })).toEqual(invalid);
  });
});

describe('batchOutcomes: an event of several partitions', () => {
  const other = { topic: 'events', partition: 0, offsets: [4n, 5n] };

  it('gives each partition its own outcome from the identifiers naming it', () => {
    expect(batchOutcomes([batch, other], { response: { batchItemFailures: [item('events-0', 5), item('events-2', 12)] } })).toEqual([
      { kind: 'failed', failedOffset: 12n, functionError: 'BatchItemFailure' },
      { kind: 'failed', failedOffset: 5n, functionError: 'BatchItemFailure' },
    ]);
    expect(batchOutcomes([batch, other], { response: { batchItemFailures: [item('events-0', 4)] } })).toEqual([
      { kind: 'succeeded' },
      { kind: 'failed', failedOffset: 4n, functionError: 'BatchItemFailure' },
    ]);
  });

  it('fails every partition when one identifier names a record the event did not carry', () => {
    expect(batchOutcomes([batch, other], { response: { batchItemFailures: [item('events-0', 5), item('events-1', 1)] } })).toEqual([
      { kind: 'failed', failedOffset: 10n, functionError: 'InvalidBatchItemFailures' },
      { kind: 'failed', failedOffset: 4n, functionError: 'InvalidBatchItemFailures' },
    ]);
  });

  it('fails every partition from its first offset when the function threw', () => {
    expect(batchOutcomes([batch, other], { error: new Error('') })).toEqual([
      { kind: 'failed', failedOffset: 10n, functionError: 'Unhandled' },
      { kind: 'failed', failedOffset: 4n, functionError: 'Unhandled' },
    ]);
  });
});
