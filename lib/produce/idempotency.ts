/**
 * The produce API's `Idempotency-Key`: produce-specific use of the shared
 * {@link IdempotencyStore}. The first request with a key claims it (with a lease), produces
 * and stores its 200 response; a repeat gets the stored response, a concurrent one 409, one
 * with another body 422. A failed request gives the key up so that the client's retry of the
 * same body can take it at once; the key stays that body's, since some of its records may
 * have reached Kafka with the key's message ids.
 */
import { IdempotencyInProgressError, IdempotencyKeyMismatchError, ValidationError } from '../errors';
import type { Clock } from '../clock';
import { expiresAtEpochSec, payloadHash } from '../idempotency/keys';
import { IdempotencyStatus, type IdempotencyStore } from '../idempotency/types';

/** A key this request holds and must complete or give up. */
export interface HeldKey {
  key: string;
  owner: string;
  payloadHash: string;
  /** The claim's TTL attribute, epoch seconds (kept when the claim is given up). */
  expiresAtEpochSec: number;
}

/** Outcome of {@link ProduceIdempotency.begin}. */
export type BeginOutcome = { kind: 'claimed'; held: HeldKey } | { kind: 'replay'; body: string };

/** What the produce API needs of the store: it never deletes a key (a failed request gives it up). */
export type ProduceKeyStore = Pick<IdempotencyStore, 'claim' | 'getMany' | 'completeMany' | 'abandonMany'>;

/** Settings and collaborators of {@link ProduceIdempotency}. */
export interface ProduceIdempotencyOptions {
  store: ProduceKeyStore;
  clock: Clock;
  ttlSeconds: number;
  leaseMs: number;
  /** A fresh owner id per request. */
  newOwner: () => string;
}

// Visible ASCII: the key travels in headers, logs and the record's message-id.
const IDEMPOTENCY_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
// A claim lost to a release between our write and our read is retried this often.
const CLAIM_ATTEMPTS = 3;

/**
 * Checks an `Idempotency-Key` header value.
 *
 * @throws {ValidationError} when it is empty, longer than 255 characters or not visible ASCII.
 */
export function checkIdempotencyKey(value: string): void {
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError('Idempotency-Key: must be 1 to 255 visible ASCII characters');
  }
}

/**
 * The store key of an Idempotency-Key for `topic`, scoped to the caller (its digest): one
 * caller's key never meets another's. It starts with `produce:`, the prefix the produce
 * function's role is limited to in the table (serverless.yml, `dynamodb:LeadingKeys`).
 */
export function produceIdempotencyKey(callerDigest: string, topic: string, idempotencyKey: string): string {
  return `produce:${callerDigest}:${topic}:${idempotencyKey}`;
}

/** Hash of what makes two requests "the same": topic, content type and the raw body bytes. */
export function produceRequestHash(topic: string, contentType: string, body: Uint8Array): string {
  // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
  return payloadHash(Buffer.concat([Buffer.from(`${topic}\n${contentType}\n`, 'utf8'), body]));
}

/** Claims, completes and releases Idempotency-Keys of produce requests. */
export class ProduceIdempotency {
  constructor(private readonly options: ProduceIdempotencyOptions) {}

  /**
   * Claims the key, or says what to answer instead.
   *
   * @throws {IdempotencyKeyMismatchError} when the key was used with another request.
   * @throws {IdempotencyInProgressError} while another request holds the key.
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  async begin(callerDigest: string, topic: string, idempotencyKey: string, hash: string): Promise<BeginOutcome> {
    const { store, clock, ttlSeconds, leaseMs, newOwner } = this.options;
    const key = produceIdempotencyKey(callerDigest, topic, idempotencyKey);
    const owner = newOwner();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const nowMs = clock.nowMs();
      const expiresAt = expiresAtEpochSec(nowMs, ttlSeconds);
      const outcome = await store.claim({ key, owner, payloadHash: hash, leaseExpiresAtMs: nowMs + leaseMs, expiresAtEpochSec: expiresAt }, nowMs);
      if (outcome.claimed) return { kind: 'claimed', held: { key, owner, payloadHash: hash, expiresAtEpochSec: expiresAt } };
      const existing = outcome.existing ?? (await store.getMany([key], nowMs)).get(key);
      // Released or expired between the claim and the read: try to claim again.
      if (existing === undefined) continue;
      if (existing.payloadHash !== hash) {
        throw new IdempotencyKeyMismatchError('Idempotency-Key was already used with a different request');
      }
      if (existing.status === IdempotencyStatus.Completed && existing.result !== undefined) {
        return { kind: 'replay', body: existing.result };
      }
      throw new IdempotencyInProgressError('a request with this Idempotency-Key is still in progress; retry later');
    }
    throw new IdempotencyInProgressError('a request with this Idempotency-Key is still in progress; retry later');
  }

  /**
   * Stores the successful response body under the held key.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  async complete(held: HeldKey, body: string): Promise<void> {
    const { store, clock, ttlSeconds } = this.options;
    await store.completeMany([
      { key: held.key, owner: held.owner, payloadHash: held.payloadHash, result: body, expiresAtEpochSec: expiresAtEpochSec(clock.nowMs(), ttlSeconds) },
    ]);
  }

  /**
   * Gives the held key up after a request that failed once its records were handed to Kafka:
   * its lease is ended, so the client's retry of the same body takes it over at once, but it
   * is not deleted. Some of the records may be on Kafka already with the key's message ids
   * (a failed send does not say which), so another body must not take the key: it would be
   * answered 200 for records the consumer then treats as reused ids.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  async giveUp(held: HeldKey): Promise<void> {
    const { key, owner, payloadHash, expiresAtEpochSec: expiresAt } = held;
    await this.options.store.abandonMany([{ key, owner, payloadHash, leaseExpiresAtMs: 0, expiresAtEpochSec: expiresAt }]);
  }
}
