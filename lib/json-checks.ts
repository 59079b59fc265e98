/**
 * Checks of values parsed from JSON that a client or an event source sent: the one home of
 * each, shared by the produce body's validation and the consume event's decoding.
 */

// The base64 alphabet (RFC 4648, 4), indexed by character code.
const BASE64_ALPHABET = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[char.charCodeAt(0)] = 1;
const PAD = 0x3d;

/**
 * True when `value` is a string of padded standard base64 (the empty string included):
 * groups of four alphabet characters, the last of which may end in `=` or `==`.
 * Buffer.from(text, 'base64') would silently skip anything else, so a malformed value is
 * refused before it is decoded. A loop over a table rather than a regular expression: this
 * runs on every header of every record, and the expression cost about 1 µs per value.
 */
export function isBase64(value: unknown): value is string {
  if (typeof value !== 'string' || value.length % 4 !== 0) return false;
  let end = value.length;
  if (end > 0 && value.charCodeAt(end - 1) === PAD) end -= value.charCodeAt(end - 2) === PAD ? 2 : 1;
  for (let i = 0; i < end; i += 1) {
    const code = value.charCodeAt(i);
    if (code >= 128 || BASE64_ALPHABET[code] === 0) return false;
  }
  return true;
}

/** True when `value` is a JSON object: not null and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Number's own checks are false for anything that is not a number, but they do not narrow an
// `unknown`; these do, so no `typeof` check has to repeat them.
/** True when `value` is a finite number. */
export const isFiniteNumber = (value: unknown): value is number => Number.isFinite(value);
/** True when `value` is a whole number. */
export const isInteger = (value: unknown): value is number => Number.isInteger(value);
/** True when `value` is a whole number that a double holds exactly (up to 2^53 - 1 in size). */
export const isSafeInteger = (value: unknown): value is number => Number.isSafeInteger(value);
