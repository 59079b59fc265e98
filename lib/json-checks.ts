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
