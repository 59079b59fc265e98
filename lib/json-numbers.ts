/**
 * JSON numbers kept as written. `JSON.parse` rounds every number through a double, so
 * `12345678901234567890` becomes `12345678901234567000`; DynamoDB numbers and Avro longs hold
 * more. Here a number a double cannot hold exactly stays a raw JSON number (`JSON.rawJSON`,
 * Node.js 21 and later): `JSON.stringify` writes it digit for digit, and the stores and codecs
 * that understand such numbers read its text.
 */

/** A raw JSON number: a frozen object whose `rawJSON` is the number's text. */
export interface ExactNumber {
  readonly rawJSON: string;
}

interface RawJsonApi {
  rawJSON(text: string): ExactNumber;
  isRawJSON(value: unknown): value is ExactNumber;
}

// ES2025 additions the type library in use does not declare yet.
const platform = JSON as unknown as Partial<RawJsonApi>;

/** Digits a double carries exactly: any decimal of at most 15 significant digits survives the round trip. */
const EXACT_DOUBLE_DIGITS = 15;

/** Significant digits of a JSON number token (`-0.00120e5` has 3). */
export function significantDigits(token: string): number {
  const mantissa = token
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  const trimmed = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return trimmed.length;
}

/** True for a raw number made by {@link exactNumber} or {@link parseJsonExact}. */
export function isExactNumber(value: unknown): value is ExactNumber {
  return platform.isRawJSON?.(value) === true;
}

/**
 * The number written as `token`: a plain number when a double holds it exactly, else a raw
 * JSON number with the same text.
 *
 * @throws Error when the platform has no `JSON.rawJSON` (Node.js 20) and the number would lose digits.
 */
export function exactNumber(token: string): number | ExactNumber {
  const value = Number(token);
  const isInteger = !/[.eE]/.test(token);
  const exact = isInteger ? Number.isSafeInteger(value) : significantDigits(token) <= EXACT_DOUBLE_DIGITS;
  if (exact) return value;
  if (platform.rawJSON === undefined) throw new Error('keeping every digit of a number needs Node.js 21 or later (JSON.rawJSON)');
  return platform.rawJSON(token);
}

/**
 * `JSON.parse`, but a number a double cannot hold exactly comes back as a raw JSON number
 * with its digits as written (see {@link exactNumber}).
 *
 * @throws SyntaxError when `text` is not JSON.
 */
export function parseJsonExact(text: string): unknown {
  // A number token of at most 15 characters has at most 15 significant digits, which a double
  // round-trips: without a longer run of number characters anywhere (strings included), plain
  // JSON.parse gives the same value, several times faster than with the reviver. (The reviver
  // also recurses, so only it can fail on thousands of nested arrays; such a value is refused either
  // way: produce bounds a value's depth, DynamoDB an item's nesting.)
  if (!hasLongNumberRun(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    return exactNumber(context.source);
  });
}

/** The characters a JSON number may be made of, by code: `-+.0123456789eE`. */
const NUMBER_CHARS = new Uint8Array(128);
for (const char of '-+.0123456789eE') NUMBER_CHARS[char.charCodeAt(0)] = 1;
/** The shortest number token that may need its raw text. */
const LONG_RUN = 16;

/**
 * True when `text` has {@link LONG_RUN} number characters in a row. A loop over the codes: a
 * regular expression took longer than the JSON.parse it guards.
 */
function hasLongNumberRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 128 && NUMBER_CHARS[code] === 1) {
      run += 1;
      if (run === LONG_RUN) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

/** The text of a number, plain or raw. */
export function numberText(value: number | ExactNumber): string {
  return typeof value === 'number' ? String(value) : value.rawJSON;
}

/** A copy of `value` with raw JSON numbers turned into (possibly rounded) doubles, for checks that only understand doubles. */
export function withDoubles(value: unknown): unknown {
  if (isExactNumber(value)) return Number(value.rawJSON);
  if (Array.isArray(value)) return value.map(withDoubles);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withDoubles(item)]));
  return value;
}
