/** Key, hash and expiry arithmetic for idempotency, apart from any I/O. */
import { createHash } from 'node:crypto';

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
