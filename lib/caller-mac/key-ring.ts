/**
 * The keys of the caller header's MAC (see `./header.ts`): one current key that stamps, and at
 * most one more that is still accepted while a rotation runs. In AWS they live in a Secrets
 * Manager secret (`CALLER_KEY_SECRET_ARN`), read once per container; locally in `CALLER_KEY`, or
 * a key generated for the process.
 *
 * The secret's text is JSON: `{"current": "<key id>", "keys": {"<key id>": "<base64>", ...}}`,
 * each key at least 32 bytes (HMAC-SHA-256's block of security), key ids of 1 to 32 letters,
 * digits, `-` or `_` (they travel in every header, so they stay short and plain).
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors';

/** One MAC key and the id the header names it by. */
export interface CallerKey {
  id: string;
  key: KeyObject;
}

/** The keys a container stamps and verifies with. */
export interface CallerKeyRing {
  /** Stamps every new header. */
  current: CallerKey;
  /** Every key a header may name and still verify, the current one included; at most two. */
  accepted: ReadonlyMap<string, KeyObject>;
}

/** A key id as headers carry it. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Fewer bytes than this would make the MAC weaker than the SHA-256 under it. */
const MIN_KEY_BYTES = 32;

/**
 * Accepting more than the current key and the one it replaces would only keep a retired,
 * possibly leaked key alive longer; two are what a rotation needs.
 */
const MAX_KEYS = 2;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses a key ring document. Error messages name `variable` and never quote the document.
 *
 * @throws {ConfigError} naming `variable` when the text is not a valid key ring.
 */
export function parseCallerKeyRing(text: string, variable: string): CallerKeyRing {
  const fail = (detail: string): never => {
    throw new ConfigError(variable, `${detail}; expected {"current": "<key id>", "keys": {"<key id>": "<base64 of at least ${MIN_KEY_BYTES} bytes>"}}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('the key ring is not JSON');
  }
  const { current, keys } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { current?: unknown; keys?: unknown };
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return fail('"keys" must be an object');
  const entries = Object.entries(keys as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_KEYS)
    return fail(`"keys" must hold one or ${MAX_KEYS} keys (the current one and, during a rotation, one other)`);
  const accepted = new Map<string, KeyObject>();
  for (const [id, value] of entries) {
    if (!KEY_ID_PATTERN.test(id)) return fail(`key id "${id}" must be 1 to 32 letters, digits, "-" or "_"`);
    if (typeof value !== 'string' || !BASE64.test(value)) return fail(`key "${id}" must be base64 text`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length < MIN_KEY_BYTES) return fail(`key "${id}" must be at least ${MIN_KEY_BYTES} bytes`);
    accepted.set(id, createSecretKey(bytes));
  }
  if (typeof current !== 'string') return fail('"current" must name one of the keys');
  const currentKey = accepted.get(current);
  if (currentKey === undefined) return fail('"current" must name one of the keys');
  return { current: { id: current, key: currentKey }, accepted };
}

/**
 * A fresh random key ring of one key, id `local`: what the local runtime uses when `CALLER_KEY`
 * is unset. Headers it stamps verify only in the same process.
 */
export function generateCallerKeyRing(): CallerKeyRing {
  const key = createSecretKey(randomBytes(MIN_KEY_BYTES));
  return { current: { id: 'local', key }, accepted: new Map([['local', key]]) };
}
