/**
 * Reads what a function's answer means for one partition's batch, the way Lambda's event
 * source mapping does with ReportBatchItemFailures: the lowest reported offset is where the
 * partition resumes; anything before it is done. An answer naming records that were not in
 * the batch is treated as a failure of the whole batch, as Lambda does with an invalid
 * response (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 */
import { partitionKey } from '../msk-event';

/** The `functionError` of an outcome whose records the function reported failed (not a function error). */
export const BATCH_ITEM_FAILURE = 'BatchItemFailure';

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
 * Interprets the function's answer (or the error it threw) for `batch`.
 *
 * @param answer - what the handler resolved with, or `{ error }` when it threw.
 */
export function batchOutcome(batch: DeliveredBatch, answer: { response: unknown } | { error: unknown }): BatchOutcome {
  const first = batch.offsets[0];
  if (first === undefined) return { kind: 'succeeded' };
  if ('error' in answer) {
    const message = answer.error instanceof Error ? answer.error.message : String(answer.error);
    return { kind: 'failed', failedOffset: first, functionError: message === '' ? 'Unhandled' : message };
  }
  const response = answer.response;
  if (response === undefined || response === null) return { kind: 'succeeded' };
  const failures = (response as BatchItemFailuresResponse).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'succeeded' };
  const invalid = { kind: 'failed', failedOffset: first, functionError: 'InvalidBatchItemFailures' } as const;
  if (!Array.isArray(failures)) return invalid;
  const key = partitionKey(batch.topic, batch.partition);
  const delivered = new Set(batch.offsets);
  let lowest: bigint | undefined;
  for (const failure of failures) {
    const identifier = failure?.itemIdentifier;
    const offset = offsetOf(identifier?.offset);
    if (identifier?.partition !== key || offset === undefined || !delivered.has(offset)) return invalid;
    if (lowest === undefined || offset < lowest) lowest = offset;
  }
  return lowest === undefined ? { kind: 'succeeded' } : { kind: 'failed', failedOffset: lowest, functionError: BATCH_ITEM_FAILURE };
}
