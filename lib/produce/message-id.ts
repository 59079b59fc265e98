/**
 * The `message-id` header every produced record carries, on which the consumer deduplicates
 * (CONTRACT: Produce). A client retry with the same Idempotency-Key yields the same ids.
 */
import type { ProduceRecord } from './validation';
import { MESSAGE_ID_HEADER } from '../headers';

/**
 * Returns the records with a `message-id` header each: the client's own header if it sent
 * one, else `<idempotencyKey>:<index>` when a key was given, else `newId()`.
 *
 * @param newId - source of fresh ids (a UUID generator in production).
 */
export function withMessageIds(records: readonly ProduceRecord[], idempotencyKey: string | undefined, newId: () => string): ProduceRecord[] {
  return records.map((record, index) => {
    if (record.headers.some((header) => header.name === MESSAGE_ID_HEADER)) return record;
    return { ...record, headers: [...record.headers, { name: MESSAGE_ID_HEADER, value: newMessageId(idempotencyKey, index, newId) }] };
  });
}

/** The `message-id` of the record at `index` that has none of its own (see {@link withMessageIds}). */
export function newMessageId(idempotencyKey: string | undefined, index: number, newId: () => string): Buffer {
  // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
  return Buffer.from(idempotencyKey === undefined ? newId() : `${idempotencyKey}:${index}`, 'utf8');
}
