/**
 * Checks of values parsed from JSON that a client or an event source sent: the one home of
 * each, shared by the produce body's validation and the consume event's decoding.
 */

// Canonical padded base64 (RFC 4648, 4): Buffer.from(text, 'base64') would silently skip
// anything else, so a malformed value is refused before it is decoded.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True when `value` is a string of padded standard base64 (the empty string included). */
export function isBase64(value: unknown): value is string {
  return typeof value === 'string' && BASE64.test(value);
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
