/** Key, hash and expiry arithmetic for idempotency, apart from any I/O. */
import { createHash } from 'node:crypto';
import { IdempotencyStatus, type Claim, type IdempotencyRecord } from './types';

/** SHA-256 of `payload`, base64url: compact enough to store with every key. */
export function payloadHash(payload: string | Uint8Array): string {
  return createHash('sha256').update(payload).digest('base64url');
}

/** TTL attribute value: `nowMs` plus `ttlSeconds`, in epoch seconds (DynamoDB TTL's unit). */
export function expiresAtEpochSec(nowMs: number, ttlSeconds: number): number {
  return Math.floor(nowMs / 1000) + ttlSeconds;
}

/** True when an item with this TTL value no longer counts, even if DynamoDB has not deleted it yet. */
export function isExpired(expiresAtEpochSecValue: number, nowMs: number): boolean {
  return expiresAtEpochSecValue * 1000 <= nowMs;
}

/**
 * Whether `claim` may replace the stored `item` at `nowMs`: the condition of
 * {@link IdempotencyStore.claim}, which the DynamoDB store writes as a condition expression.
 * An item past its TTL is free; an IN_PROGRESS one is free for the same payload (or an item
 * without a hash) once its lease ran out, or to its own owner (a renewal); a COMPLETED one
 * never is.
 */
export function isClaimable(item: IdempotencyRecord, claim: Pick<Claim, 'owner' | 'payloadHash'>, nowMs: number): boolean {
  if (isExpired(item.expiresAtEpochSec, nowMs)) return true;
  if (item.status !== IdempotencyStatus.InProgress) return false;
  const samePayload = item.payloadHash === undefined || item.payloadHash === (claim.payloadHash ?? '');
  return samePayload && (item.leaseExpiresAtMs < nowMs || item.owner === claim.owner);
}
