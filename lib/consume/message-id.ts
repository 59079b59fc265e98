/**
 * Who a consumed record is: its message id, the caller that produced it (when the produce
 * function stamped one), the idempotency key both make, and a hash of its payload.
 */
import { payloadHash } from '../idempotency/keys';
import type { ConsumedRecord } from './event';
import { CALLER_HEADER, identityHeaderText, lastHeaderNamed, MESSAGE_ID_HEADER } from '../headers';

// DynamoDB caps a partition key at 2048 bytes; longer ids are replaced by their hash.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
const MAX_ID_BYTES = 1024;

function bounded(id: string): string {
  // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
  return Buffer.byteLength(id, 'utf8') <= MAX_ID_BYTES ? id : `sha256:${payloadHash(id)}`;
}

/**
 * The last header named `name` (Kafka's "last header wins") as usable identity text (see
 * {@link identityHeaderText}), else undefined: an empty, non-UTF-8 or null last header counts as
 * absent, without falling back to an earlier one.
 */
function lastTextHeader(record: ConsumedRecord, name: string): string | undefined {
  const value = lastHeaderNamed(record.headers, name)?.value;
  return value === undefined || value === null ? undefined : identityHeaderText(value);
}

/**
 * The record's message id: the last non-empty, valid UTF-8 `message-id` header (Kafka's
 * "last header wins"), else `<topic>-<partition>-<offset>`. Ids over 1 KiB become a hash.
 */
export function messageIdOf(record: ConsumedRecord): string {
  const id = lastTextHeader(record, MESSAGE_ID_HEADER);
  return id === undefined ? `${record.topic}-${record.partition}-${record.offset}` : bounded(id);
}

/**
 * Checks a record's caller header (its bytes, or null for Kafka's null header value, which
 * proves nothing) against the record: the caller it proves, or undefined when it proves none.
 * The consume runtime's check verifies the produce function's MAC (`lib/consume/caller-check.ts`).
 */
export type CallerCheck = (header: Buffer | null, record: ConsumedRecord) => string | undefined;

/** A check no header passes: every record keeps its bare message id. */
export const NO_VERIFIED_CALLER: CallerCheck = () => undefined;

/**
 * The caller the produce function stamped on the record (`x-caller-id`): the one the last such
 * header proves under `check`, else undefined. A header that does not verify (forged, copied
 * from another record, null, or written by anyone but the produce function) counts as absent.
 */
export function callerIdOf(record: ConsumedRecord, check: CallerCheck): string | undefined {
  const header = lastHeaderNamed(record.headers, CALLER_HEADER);
  return header === undefined ? undefined : check(header.value, record);
}

/**
 * The identity of the message a record carries, on which it is applied once: its message id,
 * qualified by its caller when it has one that `check` verifies, so that two callers' equal ids
 * are two messages. `caller:<caller as base64url>:<message id>`: base64url has no `:`, so the
 * caller part ends unambiguously; records without a verified caller keep their bare message id.
 */
export function messageIdentityOf(record: ConsumedRecord, check: CallerCheck): { messageId: string; callerId?: string } {
  const messageId = messageIdOf(record);
  const callerId = callerIdOf(record, check);
  if (callerId === undefined) return { messageId };
  return { messageId: callerQualifiedId(callerId, messageId), callerId };
}

/** The identity of message `messageId` from caller `callerId`, as {@link messageIdentityOf} makes it. */
export function callerQualifiedId(callerId: string, messageId: string): string {
  // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
  return `caller:${Buffer.from(callerId, 'utf8').toString('base64url')}:${messageId}`;
}

/** The idempotency key of a message identity for consumer `scope`. */
export function consumeIdempotencyKey(scope: string, messageId: string): string {
  return `consume:${scope}:${messageId}`;
}

/**
 * Hash of what makes two deliveries of one message id the same message: the key and the
 * value bytes (absent and empty differ). Headers are left out: the event source and
 * dead-letter replays may add some.
 */
export function recordPayloadHash(record: Pick<ConsumedRecord, 'key' | 'value'>): string {
  const part = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('base64'));
  return payloadHash(JSON.stringify([part(record.key), part(record.value)]));
}

/**
 * Whether a record with payload hash `hash` is the message already stored with `storedHash`.
 * A completion written before hashes were stored has none; it counts as the same message,
 * as every completion did then.
 */
export function isSamePayload(storedHash: string | undefined, hash: string): boolean {
  return storedHash === undefined || storedHash === hash;
}
