/**
 * The value of the caller header (`x-caller-id`, CONTRACT: Produce) and its check: a MAC that
 * only the produce and consume functions can compute, so that no one else who can write to
 * the topic can have a record attributed to a caller.
 *
 * `v1.<key id>.<caller digest>.<mac>`, at most 123 ASCII bytes (the consumer reads at most 128):
 * - the caller digest is the SHA-256 of the caller's identity (`lib/produce/caller.ts`), 32
 *   bytes in base64url; the consumer gives it back as `sha256:<hex>`, the form the produce log,
 *   the idempotency keys and the sink's `callerId` use, so that the caller's name does not
 *   change with the key;
 * - the mac is HMAC-SHA-256, under the named key, of the digest and of the record itself: its
 *   topic, its `message-id` header and its key and value bytes. A header copied from a victim's
 *   record onto another record therefore does not verify; copied onto the very same record
 *   (same id, key and value) it only repeats the victim's message, which the consumer
 *   deduplicates.
 *
 * Checking costs one HMAC over the record's bytes and no request to AWS: the keys are read
 * once per container (`./key-source.ts`).
 */
import { createHmac, timingSafeEqual, type Hmac, type KeyObject } from 'node:crypto';
import type { CallerKeyRing } from './key-ring';

/** What of a record the MAC covers, besides the caller. */
export interface MacedRecord {
  topic: string;
  /** The last `message-id` header's bytes (the one the consumer reads), or null when there is none. */
  messageId: Buffer | null;
  key: Buffer | null;
  value: Buffer | null;
}

/** Why a caller header did not verify, for the metric's dimension. */
export const CallerHeaderRejection = {
  /** Not `v1.<key id>.<digest>.<mac>` (an old plain digest, garbage, a forger's guess). */
  Malformed: 'malformed',
  /** Names a key this container does not accept (retired, or never issued). */
  UnknownKey: 'unknown-key',
  /** Well formed, known key, wrong MAC: forged, or copied onto another record. */
  BadMac: 'bad-mac',
} as const;
export type CallerHeaderRejection = (typeof CallerHeaderRejection)[keyof typeof CallerHeaderRejection];

/** The outcome of checking a caller header. */
export type CallerHeaderCheck = { verified: true; callerId: string } | { verified: false; reason: CallerHeaderRejection };

const VERSION = 'v1';
// Separates this MAC's inputs from any other use of the same key.
const DOMAIN = Buffer.from('x-caller-id/v1\0', 'ascii');
const DIGEST_BYTES = 32;
const HEADER_PATTERN = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;
const DIGEST_PREFIX = 'sha256:';

/** Length-prefixed, so that no two different records feed the MAC the same bytes. */
function field(hmac: Hmac, bytes: Buffer | null): void {
  if (bytes === null) {
    hmac.update(Buffer.of(0));
    return;
  }
  const head = Buffer.alloc(5);
  head[0] = 1;
  head.writeUInt32BE(bytes.length, 1);
  hmac.update(head).update(bytes);
}

function mac(key: KeyObject, digest: Buffer, record: MacedRecord): Buffer {
  const hmac = createHmac('sha256', key).update(DOMAIN).update(digest);
  field(hmac, Buffer.from(record.topic, 'utf8'));
  field(hmac, record.messageId);
  field(hmac, record.key);
  field(hmac, record.value);
  return hmac.digest();
}

/**
 * The caller header for a record produced by the caller whose digest is `callerDigest`
 * (`sha256:<64 hex>`), under the ring's current key.
 *
 * @throws Error when `callerDigest` is not such a digest (a programming error).
 */
export function stampCallerHeader(ring: CallerKeyRing, callerDigest: string, record: MacedRecord): string {
  const hex = callerDigest.startsWith(DIGEST_PREFIX) ? callerDigest.slice(DIGEST_PREFIX.length) : '';
  const digest = Buffer.from(hex, 'hex');
  if (digest.length !== DIGEST_BYTES || hex.length !== DIGEST_BYTES * 2) throw new Error('a caller digest is sha256: and 64 hex digits');
  const { id, key } = ring.current;
  return `${VERSION}.${id}.${digest.toString('base64url')}.${mac(key, digest, record).toString('base64url')}`;
}

/**
 * Checks a caller header's bytes against `record`: the caller it proves (`sha256:<hex>`), or
 * why it proves none. Any key the ring accepts verifies, so that headers stamped before a
 * rotation still do during it.
 */
export function verifyCallerHeader(ring: CallerKeyRing, header: Buffer, record: MacedRecord): CallerHeaderCheck {
  const match = HEADER_PATTERN.exec(header.toString('latin1'));
  if (match === null) return { verified: false, reason: CallerHeaderRejection.Malformed };
  const [, keyId = '', digestText = '', macText = ''] = match;
  const digest = Buffer.from(digestText, 'base64url');
  const given = Buffer.from(macText, 'base64url');
  // 43 base64url characters hold 258 bits: a last character with low bits set decodes to the same 32 bytes, so compare the text.
  if (digest.toString('base64url') !== digestText || given.toString('base64url') !== macText) {
    return { verified: false, reason: CallerHeaderRejection.Malformed };
  }
  const key = ring.accepted.get(keyId);
  if (key === undefined) return { verified: false, reason: CallerHeaderRejection.UnknownKey };
  if (!timingSafeEqual(mac(key, digest, record), given)) return { verified: false, reason: CallerHeaderRejection.BadMac };
  return { verified: true, callerId: `${DIGEST_PREFIX}${digest.toString('hex')}` };
}
