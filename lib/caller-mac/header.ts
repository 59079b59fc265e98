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
import { hash, timingSafeEqual, type KeyObject } from 'node:crypto';
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

// HMAC-SHA-256 (RFC 2104) written out over one-shot hashes: H((K ^ opad) || H((K ^ ipad) || m)).
// createHmac costs an object, a key schedule and a native call per update; stamping runs once
// per record of every request, and this form costs two native calls per record. The test
// vectors (computed with Python's hmac) pin that both forms give the same bytes.
const SHA256_BLOCK_BYTES = 64;
const MAC_BYTES = 32;

/** A key's inner and outer padded blocks, computed once per key. */
interface MacPads {
  inner: Buffer;
  outer: Buffer;
}

const padsByKey = new WeakMap<KeyObject, MacPads>();

function padsOf(key: KeyObject): MacPads {
  let pads = padsByKey.get(key);
  if (pads === undefined) {
    let bytes = key.export();
    if (bytes.length > SHA256_BLOCK_BYTES) bytes = hash('sha256', bytes, 'buffer');
    const inner = Buffer.alloc(SHA256_BLOCK_BYTES, 0x36);
    const outer = Buffer.alloc(SHA256_BLOCK_BYTES, 0x5c);
    for (let i = 0; i < bytes.length; i += 1) {
      inner[i] = (inner[i] as number) ^ (bytes[i] as number);
      outer[i] = (outer[i] as number) ^ (bytes[i] as number);
    }
    pads = { inner, outer };
    padsByKey.set(key, pads);
  }
  return pads;
}

/** Bytes {@link putField} writes for `bytes`. */
function fieldLength(bytes: Buffer | null): number {
  return bytes === null ? 1 : 5 + bytes.length;
}

/** Writes `bytes` length-prefixed at `at`, so that no two different records feed the MAC the same bytes; returns the end. */
function putField(target: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) {
    target[at] = 0;
    return at + 1;
  }
  target[at] = 1;
  target.writeUInt32BE(bytes.length, at + 1);
  bytes.copy(target, at + 5);
  return at + 5 + bytes.length;
}

/**
 * Computes MACs for one key, caller digest and topic: the start of the MAC's input (the inner
 * pad, the domain, the digest and the topic) is laid out once, each record adds its own fields.
 * The input is written into one buffer kept from record to record (each MAC is computed before
 * the function returns, so no two records share it at once); a buffer per record cost an
 * allocation and a copy of that start every time.
 */
function macFor(key: KeyObject, digest: Buffer, topic: string): (record: Omit<MacedRecord, 'topic'>) => Buffer {
  const pads = padsOf(key);
  const topicBytes = Buffer.from(topic, 'utf8');
  const prefixLength = SHA256_BLOCK_BYTES + DOMAIN.length + digest.length + fieldLength(topicBytes);
  let input = Buffer.allocUnsafe(prefixLength);
  pads.inner.copy(input, 0);
  DOMAIN.copy(input, SHA256_BLOCK_BYTES);
  digest.copy(input, SHA256_BLOCK_BYTES + DOMAIN.length);
  putField(input, SHA256_BLOCK_BYTES + DOMAIN.length + digest.length, topicBytes);
  // The outer hash's input: the outer pad, then the inner hash (hash() reads it before returning).
  const outer = Buffer.alloc(SHA256_BLOCK_BYTES + MAC_BYTES);
  pads.outer.copy(outer, 0);
  return (record) => {
    const length = prefixLength + fieldLength(record.messageId) + fieldLength(record.key) + fieldLength(record.value);
    if (length > input.length) {
      // Grown (at least doubled, so a request of growing records reallocates rarely), the start copied over.
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * input.length));
      input.copy(grown, 0, 0, prefixLength);
      input = grown;
    }
    let at = putField(input, prefixLength, record.messageId);
    at = putField(input, at, record.key);
    putField(input, at, record.value);
    hash('sha256', input.subarray(0, length), 'buffer').copy(outer, SHA256_BLOCK_BYTES);
    return hash('sha256', outer, 'buffer');
  };
}

const BASE64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');

/** Characters of a {@link MAC_BYTES}-byte MAC in base64url without padding. */
const MAC_TEXT_CHARS = 43;

/**
 * Writes `mac` ({@link MAC_BYTES} bytes) as base64url without padding into `target` at `at`, as
 * `mac.toString('base64url')` spells it, without the string between.
 */
function writeMacText(mac: Buffer, target: Buffer, at: number): void {
  let out = at;
  let i = 0;
  // Ten whole groups of three bytes, four characters each.
  for (; i + 3 <= MAC_BYTES; i += 3) {
    const bits = ((mac[i] as number) << 16) | ((mac[i + 1] as number) << 8) | (mac[i + 2] as number);
    target[out] = BASE64URL[bits >>> 18] as number;
    target[out + 1] = BASE64URL[(bits >>> 12) & 63] as number;
    target[out + 2] = BASE64URL[(bits >>> 6) & 63] as number;
    target[out + 3] = BASE64URL[bits & 63] as number;
    out += 4;
  }
  // The last two bytes: three characters.
  const bits = ((mac[i] as number) << 8) | (mac[i + 1] as number);
  target[out] = BASE64URL[bits >>> 10] as number;
  target[out + 1] = BASE64URL[(bits >>> 4) & 63] as number;
  target[out + 2] = BASE64URL[(bits << 2) & 63] as number;
}

function digestBytes(callerDigest: string): Buffer {
  const hex = callerDigest.startsWith(DIGEST_PREFIX) ? callerDigest.slice(DIGEST_PREFIX.length) : '';
  const digest = Buffer.from(hex, 'hex');
  if (digest.length !== DIGEST_BYTES || hex.length !== DIGEST_BYTES * 2) throw new Error('a caller digest is sha256: and 64 hex digits');
  return digest;
}

/**
 * Stamps the caller header of every record of one request (one caller, one topic): what the
 * records share (the header's start, the MAC's key pads, digest and topic) is prepared once.
 *
 * @returns a function giving a record's header value as ASCII bytes.
 * @throws Error when `callerDigest` is not `sha256:` and 64 hex digits (a programming error).
 */
export function callerHeaderStamper(ring: CallerKeyRing, callerDigest: string, topic: string): (record: Omit<MacedRecord, 'topic'>) => Buffer {
  const digest = digestBytes(callerDigest);
  const { id, key } = ring.current;
  const head = Buffer.from(`${VERSION}.${id}.${digest.toString('base64url')}.`, 'latin1');
  const mac = macFor(key, digest, topic);
  return (record) => {
    const value = Buffer.allocUnsafe(head.length + MAC_TEXT_CHARS);
    head.copy(value, 0);
    writeMacText(mac(record), value, head.length);
    return value;
  };
}

/**
 * The caller header for a record produced by the caller whose digest is `callerDigest`
 * (`sha256:<64 hex>`), under the ring's current key.
 *
 * @throws Error when `callerDigest` is not such a digest (a programming error).
 */
export function stampCallerHeader(ring: CallerKeyRing, callerDigest: string, record: MacedRecord): string {
  return callerHeaderStamper(ring, callerDigest, record.topic)(record).toString('latin1');
}

/**
 * Checks a caller header's bytes against `record`: the caller it proves (`sha256:<hex>`), or
 * why it proves none. Any key the ring accepts verifies, so that headers stamped before a
 * rotation still do during it. A null header value (Kafka's, which the produce function never
 * stamps) is malformed.
 */
export function verifyCallerHeader(ring: CallerKeyRing, header: Buffer | null, record: MacedRecord): CallerHeaderCheck {
  if (header === null) return { verified: false, reason: CallerHeaderRejection.Malformed };
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
  if (!timingSafeEqual(macFor(key, digest, record.topic)(record), given)) return { verified: false, reason: CallerHeaderRejection.BadMac };
  return { verified: true, callerId: `${DIGEST_PREFIX}${digest.toString('hex')}` };
}
