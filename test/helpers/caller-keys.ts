/**
 * Caller MAC keys for tests: fixed, so that expected headers can be written out by hand, and
 * a way to stamp a record as the produce function would (for records that must carry a valid
 * caller header).
 */
import { stampCallerHeader } from '../../lib/caller-mac/header';
import { parseCallerKeyRing, type CallerKeyRing } from '../../lib/caller-mac/key-ring';
import { staticCallerKeys, type CallerKeySource } from '../../lib/caller-mac/key-source';
import type { CallerCheck } from '../../lib/consume/message-id';

/** Key `k1`: the 32 bytes 0x00..0x1f. */
export const KEY_1 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
/** Key `k2`: the 32 bytes 0x20..0x3f. */
export const KEY_2 = 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=';

/** The key ring document with `current` and the keys given. */
export function keyRingText(current: string, keys: Record<string, string>): string {
  return JSON.stringify({ current, keys });
}

/** A ring of key `k1` only, as `CALLER_KEY` would give it. */
export const TEST_KEY_RING_TEXT = keyRingText('k1', { k1: KEY_1 });
export const TEST_KEY_RING: CallerKeyRing = parseCallerKeyRing(TEST_KEY_RING_TEXT, 'CALLER_KEY');
export const TEST_CALLER_KEYS: CallerKeySource = staticCallerKeys(TEST_KEY_RING);

/** A caller header for a record, stamped with `ring` as the produce function stamps it. */
export function stampedCallerHeader(
  callerDigest: string,
  record: { topic: string; messageId?: string; key?: string | null; value?: string | null },
  ring: CallerKeyRing = TEST_KEY_RING,
): string {
  const bytes = (text: string | null | undefined): Buffer | null => (text === undefined || text === null ? null : Buffer.from(text, 'utf8'));
  return stampCallerHeader(ring, callerDigest, { topic: record.topic, messageId: bytes(record.messageId), key: bytes(record.key), value: bytes(record.value) });
}

/** A stand-in check for tests of the identity rules: `ok:<caller>` proves `<caller>`, anything else nothing. */
export const fakeCallerCheck: CallerCheck = (header) => {
  const text = header?.toString('utf8') ?? '';
  return text.startsWith('ok:') ? text.slice(3) : undefined;
};

/**
 * The caller digest a `v1.<key id>.<digest>.<mac>` header names, as `sha256:<hex>`, read by
 * hand from the documented format (its MAC unchecked); undefined for anything else.
 */
export function digestInHeader(header: string | null | readonly (string | null)[] | undefined): string | undefined {
  const parts = typeof header === 'string' ? header.split('.') : undefined;
  if (parts?.length !== 4 || parts[0] !== 'v1') return undefined;
  return `sha256:${Buffer.from(parts[2] as string, 'base64url').toString('hex')}`;
}
