/**
 * Reads what a function's answer means for one partition's batch, the way Lambda's event
 * source mapping does with ReportBatchItemFailures: the lowest reported offset is where the
 * partition resumes; anything before it is done. An answer naming records that were not in
 * the event is treated as a failure of the whole event, as Lambda does with an invalid
 * response (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 */
import { partitionKey } from '../msk-event';

/** The `functionError` of an outcome whose records the function reported failed (not a function error). */
export const BATCH_ITEM_FAILURE = 'BatchItemFailure';

/** The `functionError` of an answer Lambda rejects: identifiers that name no record of the event. */
export const INVALID_BATCH_ITEM_FAILURES = 'InvalidBatchItemFailures';

/** The part of a function's answer the event source reads. */
export interface BatchItemFailuresResponse {
  batchItemFailures?: { itemIdentifier?: { partition?: unknown; offset?: unknown } }[];
}

/** The outcome of one invocation for one partition. */
export type BatchOutcome =
  | { kind: 'succeeded' }
  /** Records from `failedOffset` on were not processed and must be delivered again. */
  | { kind: 'failed'; failedOffset: bigint; functionError: string };

/** A batch of one partition: its topic, partition and the offsets delivered, ascending. */
export interface DeliveredBatch {
  topic: string;
  partition: number;
  offsets: readonly bigint[];
}

function offsetOf(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/**
 * Interprets the function's answer (or the error it threw) for each partition's batch of one
 * invocation, in the order given. An event may carry several partitions: an identifier may
 * name any record of the event, and one naming a record the event did not carry makes the
 * whole answer invalid, a failure of every batch.
 *
 * @param answer - what the handler resolved with, or `{ error }` when it threw.
 */
export function batchOutcomes(batches: readonly DeliveredBatch[], answer: { response: unknown } | { error: unknown }): BatchOutcome[] {
  const failedAll = (functionError: string): BatchOutcome[] =>
    batches.map((batch) => (batch.offsets[0] === undefined ? { kind: 'succeeded' } : { kind: 'failed', failedOffset: batch.offsets[0], functionError }));
  if ('error' in answer) {
    const message = answer.error instanceof Error ? answer.error.message : String(answer.error);
    return failedAll(message === '' ? 'Unhandled' : message);
  }
  const response = answer.response;
  const failures = response === undefined || response === null ? undefined : (response as BatchItemFailuresResponse).batchItemFailures;
  if (failures === undefined || failures === null) return batches.map(() => ({ kind: 'succeeded' }));
  if (!Array.isArray(failures)) return failedAll(INVALID_BATCH_ITEM_FAILURES);
  const delivered = new Map(batches.map((batch) => [partitionKey(batch.topic, batch.partition), new Set(batch.offsets)]));
  const lowest = new Map<string, bigint>();
  for (const failure of failures) {
    const identifier = failure?.itemIdentifier;
    const offset = offsetOf(identifier?.offset);
    const key = typeof identifier?.partition === 'string' ? identifier.partition : undefined;
    if (key === undefined || offset === undefined || delivered.get(key)?.has(offset) !== true) return failedAll(INVALID_BATCH_ITEM_FAILURES);
    const known = lowest.get(key);
    if (known === undefined || offset < known) lowest.set(key, offset);
  }
  return batches.map((batch) => {
    const failedOffset = lowest.get(partitionKey(batch.topic, batch.partition));
    return failedOffset === undefined ? { kind: 'succeeded' } : { kind: 'failed', failedOffset, functionError: BATCH_ITEM_FAILURE };
  });
}

/** {@link batchOutcomes} for an invocation of one partition's batch. */
export function batchOutcome(batch: DeliveredBatch, answer: { response: unknown } | { error: unknown }): BatchOutcome {
  return batchOutcomes([batch], answer)[0] as BatchOutcome;
}
