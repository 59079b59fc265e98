/**
 * A single-pass JSON reader for produce request bodies that keeps each record's key and value
 * as the client wrote them (CONTRACT: Produce, "JSON keys and values reach Kafka as the client
 * wrote them"). `JSON.parse` followed by `JSON.stringify` would round every number through a
 * double (`12345678901234567890` becomes `12345678901234567000`, `0.10` becomes `0.1`, `1e400`
 * becomes `null`) and rewrite string escapes. This reader validates the whole body as JSON
 * (RFC 8259) and builds the envelope (`records`, each record's `partition` and `headers`) as
 * plain values, but at the positions the caller marks as raw it keeps the source bytes
 * instead, with insignificant whitespace removed.
 *
 * It never recurses into a value of unknown depth: raw and unexpected containers are walked
 * with an explicit stack, so a body nested a million levels deep costs memory, not the call
 * stack.
 */
import { isUtf8 } from 'node:buffer';

/** A JSON value kept as written: its UTF-8 source bytes without insignificant whitespace. */
export class RawJson {
  constructor(
    /**
     * The value's JSON text as sent, minus whitespace outside strings. When there was none to
     * remove it is a view of the bytes read, sharing their memory.
     */
    readonly bytes: Buffer,
    /** Deepest nesting of arrays and objects in it (0 for a scalar). */
    readonly depth: number,
  ) {}
}

/** The body is not UTF-8 JSON; `offset` is the byte where reading stopped. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * How the reader treats a value at a given place of the document. `plain` scalars become
 * JavaScript values and containers become {@link RawJson} (they are never expected there,
 * and validation names them by their place); `token` is `plain` for a string that repeats from
 * record to record (a type name, a header name), which is then looked up rather than decoded
 * again; `raw` values (except `null`) become
 * {@link RawJson}; the others are containers the envelope expects, built as values when they
 * have the expected kind and treated as `plain` otherwise.
 */
export type Place = 'raw' | 'plain' | 'token' | ObjectPlace | { array: Place };

/**
 * An object the envelope expects: how each of its members is read and, in `expect`, the names
 * its members mostly have (made by {@link objectPlace}, which checks them). Those are matched
 * byte for byte, in whatever order they come, which costs less than reading a name and looking
 * it up; any other name, or one written with an escape, is read as usual.
 */
export interface ObjectPlace {
  object: (member: string) => Place;
  expect?: readonly string[];
}

/** Printable ASCII but the quote and the backslash: a name whose closing quote ends its token. */
const PLAIN_NAME = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * An object place expecting the member names `expect`: at most 31 (one bit each), distinct, each
 * printable ASCII without a quote or a backslash (so that the quote after its bytes ends it), and
 * none `__proto__` (defined as an own member, never set: the reader's generic path does that).
 *
 * @throws {Error} for names that break these rules: a mistake in the code, met when it loads.
 */
export function objectPlace(object: (member: string) => Place, expect: readonly string[]): ObjectPlace {
  const plain = (name: string): boolean => PLAIN_NAME.test(name) && name !== '__proto__';
  if (expect.length > 31 || new Set(expect).size !== expect.length || !expect.every(plain)) {
    throw new Error(`cannot expect the member names ${JSON.stringify(expect)}`);
  }
  return { object, expect };
}

// Stryker disable next-line ArrayDeclaration: speed only; a name no member has is never matched.
const NO_NAMES: readonly string[] = [];

/** Set on an object read from the body when one of its member names occurs twice. */
export const DUPLICATE_MEMBER: unique symbol = Symbol('duplicate member');

/** An object member the reader built, with the first repeated member name if any. */
export type ReadObject = Record<string, unknown> & { [DUPLICATE_MEMBER]?: string };

// Bytes of the JSON grammar.
const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

// The escapes JSON allows after a backslash: " \ / b f n r t u.
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

// Bytes that end the plain run of a string: the quote, the backslash and control characters.
// One table lookup per byte keeps the loop over long strings tight.
const STRING_STOP = new Uint8Array(256);
// Stryker disable next-line EqualityOperator: speed only; a space stopping the fast loop is stepped over one byte at a time.
for (let byte = 0; byte < SPACE; byte += 1) STRING_STOP[byte] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const NO_GAPS: readonly number[] = [];

function isDigit(byte: number | undefined): boolean {
  // Stryker disable next-line ConditionalExpression: comparisons with undefined are false; the check is for the type checker.
  return byte !== undefined && byte >= ZERO && byte <= NINE;
}

function isHexDigit(byte: number | undefined): boolean {
  // Stryker disable next-line ConditionalExpression: comparisons with undefined are false; the check is for the type checker (the ranges' bounds are pinned by their EqualityOperator mutants).
  return byte !== undefined && (isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

// Names and tokens repeat in every record (a member name no place expects, a type, a header
// name): decoding each from bytes again costs more than the rest of the reading. Short ones are
// looked up by a hash of their bytes in a fixed table and checked byte for byte; a slot keeps
// the first name that lands in it, so the table never grows and a name once kept stays.
const NAME_SLOTS = 1024;
const MAX_CACHED_NAME_BYTES = 32;
// Stryker disable next-line ArrayDeclaration,ArithmeticOperator: speed only; a table of any length is read and written by slot the same way.
const nameSlots: ({ bytes: Buffer; name: string } | undefined)[] = new Array(NAME_SLOTS).fill(undefined);

// Stryker disable all: the variants left of this check can only make the cache miss (a miss decodes the name again); those that make it hit a
// different name (a hash collision, also of a name that starts another) fail json-body-names.test.ts.
function sameBytes(source: Buffer, start: number, end: number, other: Buffer): boolean {
  if (other.length !== end - start) return false;
  // A loop, not Buffer.compare: for names this short the native call costs more than the work.
  for (let i = 0; i < other.length; i += 1) if (source[start + i] !== other[i]) return false;
  return true;
}
// Stryker restore all

function memberNameOf(source: Buffer, start: number, end: number): string {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: speed only; names of any length are decoded right without the cache.
  if (end - start > MAX_CACHED_NAME_BYTES) return source.toString('utf8', start, end);
  // Stryker disable next-line ArithmeticOperator: speed only; any seed makes a hash, and equal hashes are checked byte for byte.
  let hash = end - start;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only; a weaker hash collides more, and equal hashes are checked byte for byte.
  for (let i = start; i < end; i += 1) hash = Math.imul(hash ^ (source[i] as number), 0x01000193);
  // Stryker disable next-line ArithmeticOperator,BitwiseOperator: speed only; any slot is checked byte for byte.
  const slot = (hash >>> 22) & (NAME_SLOTS - 1);
  const cached = nameSlots[slot];
  // Stryker disable next-line ConditionalExpression: speed only; without the cache every name is decoded.
  if (cached !== undefined && sameBytes(source, start, end, cached.bytes)) return cached.name;
  const name = source.toString('utf8', start, end);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: which names are cached only changes speed and memory.
  if (cached === undefined) nameSlots[slot] = { bytes: Buffer.from(source.subarray(start, end)), name };
  return name;
}

class Reader {
  private pos = 0;
  /** The same bytes as a Buffer, for slicing and decoding without a view per call. */
  private readonly source: Buffer;
  /** Whitespace runs `[start, end)` inside the raw value being read, to be left out of its bytes. */
  // Stryker disable next-line ArrayDeclaration: only the gaps recorded during a raw value are read (from its own start).
  private gaps: number[] = [];
  // Stryker disable next-line BooleanLiteral: gaps recorded outside a raw value are never read (each raw value reads from its own start).
  private recordingGaps = false;

  constructor(private readonly bytes: Uint8Array) {
    this.source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) this.pos = 3;
  }

  document(place: Place): unknown {
    this.whitespace();
    const value = this.value(place);
    this.whitespace();
    if (this.pos !== this.bytes.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  /**
   * Values one after another (concatenated JSON), each read at `place`, until the end of the
   * input or the first value that is not JSON; that value's error ends the sequence.
   */
  sequence(place: Place): JsonSequence {
    const values: unknown[] = [];
    this.whitespace();
    while (this.pos < this.bytes.length) {
      const start = this.pos;
      try {
        values.push(this.value(place));
      } catch (error) {
        if (!(error instanceof JsonSyntaxError)) throw error;
        return { values, error, errorStart: start };
      }
      this.whitespace();
    }
    return { values };
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(this.pos >= this.bytes.length ? 'unexpected end of input' : message, this.pos);
  }

  private whitespace(): void {
    const { bytes } = this;
    const start = this.pos;
    let pos = start;
    for (;;) {
      const byte = bytes[pos];
      if (byte !== SPACE && byte !== NEWLINE && byte !== RETURN && byte !== TAB) break;
      pos += 1;
    }
    this.pos = pos;
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: an empty gap, or one outside a raw value, leaves the kept bytes the same.
    if (this.recordingGaps && pos > start) this.gaps.push(start, pos);
  }

  private expect(byte: number, what: string): void {
    if (this.bytes[this.pos] !== byte) this.fail(`expected ${what}`);
    this.pos += 1;
  }

  private value(place: Place): unknown {
    const byte = this.bytes[this.pos];
    if (place === 'raw') return this.isNull() ? this.literal('null', null) : this.raw();
    if (typeof place === 'object') {
      if ('object' in place && byte === OPEN_BRACE) return this.object(place);
      if ('array' in place && byte === OPEN_BRACKET) return this.array(place.array);
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) return this.raw();
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: speed only; a string read as a token or as a plain value is the same string.
    if (place === 'token' && byte === QUOTE) return this.token();
    return this.scalar();
  }

  /** A string at a `token` place: short ones come from the member-name table, as names do. */
  private token(): string {
    const start = this.pos;
    const escaped = this.string();
    return escaped ? (JSON.parse(this.source.toString('utf8', start, this.pos)) as string) : memberNameOf(this.source, start + 1, this.pos - 1);
  }

  private object(place: ObjectPlace): ReadObject {
    // A plain object keeps V8's fast property layout; "__proto__" is defined below as an own
    // member, as JSON.parse does, so that no member name can reach the prototype.
    const result = {} as ReadObject;
    this.pos += 1;
    this.whitespace();
    if (this.bytes[this.pos] === CLOSE_BRACE) {
      this.pos += 1;
      return result;
    }
    // Stryker disable next-line LogicalOperator: speed only; without the expected names every member is read by name.
    const expected = place.expect ?? NO_NAMES;
    // Bit i: a member named expected[i] was read. A name matched where its bit is clear is the
    // first of its name, so it needs no check for a repeat.
    let seen = 0;
    for (;;) {
      const index = this.expectedName(expected, seen);
      if (index >= 0) {
        seen |= 1 << index;
        const name = expected[index] as string;
        result[name] = this.value(place.object(name));
      } else {
        const name = this.memberName();
        const known = expected.indexOf(name);
        // Stryker disable next-line ConditionalExpression: equivalent; for a name not expected, 1 << -1 sets bit 31, which no list of 31 names reads.
        if (known >= 0) seen |= 1 << known;
        const value = this.value(place.object(name));
        if (Object.hasOwn(result, name)) result[DUPLICATE_MEMBER] ??= name;
        // Stryker disable next-line ConditionalExpression: defining any other member the same way gives the same object.
        if (name === '__proto__') Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
        else result[name] = value;
      }
      this.whitespace();
      if (this.bytes[this.pos] === CLOSE_BRACE) {
        this.pos += 1;
        return result;
      }
      this.expect(COMMA, '"," or "}"');
      this.whitespace();
    }
  }

  /**
   * The index in `expected` of the member name here, when it is one not `seen` yet written
   * without escapes, having moved past it and its colon; -1 otherwise, without moving.
   */
  // Stryker disable BlockStatement,BooleanLiteral: speed only; a name not matched here is read by name (every variant that matches less).
  private expectedName(expected: readonly string[], seen: number): number {
    const start = this.pos;
    // Stryker disable next-line ConditionalExpression: speed only, as above.
    for (let index = 0; index < expected.length; index += 1) {
      const name = expected[index] as string;
      // A name read before is left to be read by name, so that its repeat is marked.
      // Stryker disable next-line ConditionalExpression: speed only; a name not matched here is read by name.
      if ((seen & (1 << index)) !== 0 || !this.isNameAt(start, name)) continue;
      this.pos = start + name.length + 2;
      this.whitespace();
      this.expect(COLON, '":"');
      this.whitespace();
      return index;
    }
    return -1;
  }

  /** Whether the string token at `start` is `name` written without escapes. */
  private isNameAt(start: number, name: string): boolean {
    const { bytes } = this;
    // The quote right after the name's bytes ends the token: an expected name has no quote or backslash.
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: speed only; a check failing more often leaves the name to be read by name.
    if (bytes[start] !== QUOTE || bytes[start + name.length + 1] !== QUOTE) return false;
    // Stryker disable next-line EqualityOperator,ArithmeticOperator,ConditionalExpression,AssignmentOperator: speed only, as above (a loop that lets a wrong name through fails json-body.test.ts).
    for (let i = 0; i < name.length; i += 1) if (bytes[start + 1 + i] !== name.charCodeAt(i)) return false;
    return true;
  }
  // Stryker restore BlockStatement,BooleanLiteral

  private memberName(): string {
    if (this.bytes[this.pos] !== QUOTE) this.fail('expected a member name');
    const start = this.pos;
    const escaped = this.string();
    const name = escaped ? (JSON.parse(this.source.toString('utf8', start, this.pos)) as string) : memberNameOf(this.source, start + 1, this.pos - 1);
    this.whitespace();
    this.expect(COLON, '":"');
    this.whitespace();
    return name;
  }

  private array(elementPlace: Place): unknown[] {
    const result: unknown[] = [];
    this.pos += 1;
    this.whitespace();
    if (this.bytes[this.pos] === CLOSE_BRACKET) {
      this.pos += 1;
      return result;
    }
    for (;;) {
      result.push(this.value(elementPlace));
      this.whitespace();
      if (this.bytes[this.pos] === CLOSE_BRACKET) {
        this.pos += 1;
        return result;
      }
      this.expect(COMMA, '"," or "]"');
      this.whitespace();
    }
  }

  private scalar(): unknown {
    const byte = this.bytes[this.pos];
    if (byte === QUOTE) return this.stringValue();
    if (byte === MINUS || isDigit(byte)) {
      const start = this.pos;
      this.number();
      return Number(this.source.toString('latin1', start, this.pos));
    }
    if (byte === 0x74) return this.literal('true', true);
    if (byte === 0x66) return this.literal('false', false);
    if (byte === 0x6e) return this.literal('null', null);
    return this.fail('expected a JSON value');
  }

  private isNull(): boolean {
    const { bytes, pos } = this;
    // Stryker disable next-line ConditionalExpression: valid JSON starting with n is null, and anything else starting with n fails the literal check either way.
    return bytes[pos] === 0x6e && bytes[pos + 1] === 0x75 && bytes[pos + 2] === 0x6c && bytes[pos + 3] === 0x6c;
  }

  private literal<T>(text: string, value: T): T {
    for (let i = 0; i < text.length; i += 1) {
      if (this.bytes[this.pos] !== text.charCodeAt(i)) this.fail(`expected "${text}"`);
      this.pos += 1;
    }
    return value;
  }

  /** A string token's value; escapes are decoded by the platform's own JSON parser. */
  private stringValue(): string {
    const start = this.pos;
    const escaped = this.string();
    const { source } = this;
    return escaped ? (JSON.parse(source.toString('utf8', start, this.pos)) as string) : source.toString('utf8', start + 1, this.pos - 1);
  }

  /** Checks a string token and moves past it; true when it holds an escape. */
  private string(): boolean {
    const { bytes } = this;
    let pos = this.pos + 1;
    // Stryker disable next-line BooleanLiteral: speed only; JSON.parse of a string token without escapes gives the same string.
    let escaped = false;
    for (;;) {
      // Stryker disable next-line ConditionalExpression: speed only; the loop below steps over the same bytes one at a time.
      while (STRING_STOP[bytes[pos] as number] === 0) pos += 1;
      const byte = bytes[pos];
      if (byte === QUOTE) break;
      // Stryker disable next-line EqualityOperator: a space never gets here (the fast loop steps over it).
      if (byte === undefined || byte < SPACE) {
        this.pos = pos;
        this.fail('control character or end of input in a string');
      }
      // Stryker disable next-line ConditionalExpression: after the quote and control checks only a backslash is left.
      if (byte === BACKSLASH) {
        escaped = true;
        const next = bytes[pos + 1];
        if (next === 0x75) {
          if (!(isHexDigit(bytes[pos + 2]) && isHexDigit(bytes[pos + 3]) && isHexDigit(bytes[pos + 4]) && isHexDigit(bytes[pos + 5]))) {
            this.pos = pos;
            this.fail('invalid \\u escape');
          }
          pos += 6;
          continue;
        }
        // Stryker disable next-line ConditionalExpression: the set has no undefined; the check is for the type checker.
        if (next === undefined || !SIMPLE_ESCAPES.has(next)) {
          this.pos = pos;
          this.fail('invalid escape');
        }
        pos += 2;
        continue;
      }
      // Stryker disable next-line AssignmentOperator: not reached; the fast loop stops only at a quote, a backslash, a control byte or the end, each handled above.
      pos += 1;
    }
    this.pos = pos + 1;
    return escaped;
  }

  /** Checks a number token (`-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`) and moves past it. */
  private number(): void {
    const { bytes } = this;
    if (bytes[this.pos] === MINUS) this.pos += 1;
    if (bytes[this.pos] === ZERO) this.pos += 1;
    else this.digits();
    if (bytes[this.pos] === DOT) {
      this.pos += 1;
      this.digits();
    }
    if (bytes[this.pos] === LOWER_E || bytes[this.pos] === UPPER_E) {
      this.pos += 1;
      if (bytes[this.pos] === PLUS || bytes[this.pos] === MINUS) this.pos += 1;
      this.digits();
    }
  }

  private digits(): void {
    if (!isDigit(this.bytes[this.pos])) this.fail('expected a digit');
    while (isDigit(this.bytes[this.pos])) this.pos += 1;
  }

  /** Reads any value as {@link RawJson}, walking containers with an explicit stack. */
  private raw(): RawJson {
    const start = this.pos;
    const outerGaps = this.gaps.length;
    const wasRecording = this.recordingGaps;
    this.recordingGaps = true;
    const depth = this.skipValue();
    this.recordingGaps = wasRecording;
    // Stryker disable next-line ConditionalExpression: speed only; splicing no gaps gives none.
    const gaps = this.gaps.length === outerGaps ? NO_GAPS : this.gaps.splice(outerGaps);
    return new RawJson(this.sourceWithout(start, this.pos, gaps), depth);
  }

  /** Moves past one value, checking its syntax; returns its nesting depth. */
  private skipValue(): number {
    const { bytes } = this;
    const open: number[] = [];
    let deepest = 0;
    for (;;) {
      // A value is expected here.
      const byte = bytes[this.pos];
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        open.push(byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET);
        deepest = Math.max(deepest, open.length);
        this.pos += 1;
        this.whitespace();
        // Stryker disable next-line BlockStatement: an empty container left open is closed by the loop below the same way.
        if (bytes[this.pos] === open[open.length - 1]) {
          this.pos += 1;
          open.pop();
        } else {
          if (byte === OPEN_BRACE) this.skipMemberName();
          continue;
        }
      } else {
        this.scalarToken();
      }
      // A value has ended: close containers, or go on to the next element or member.
      for (;;) {
        if (open.length === 0) return deepest;
        this.whitespace();
        const closer = open[open.length - 1];
        if (bytes[this.pos] === closer) {
          this.pos += 1;
          open.pop();
          continue;
        }
        this.expect(COMMA, closer === CLOSE_BRACE ? '"," or "}"' : '"," or "]"');
        this.whitespace();
        if (closer === CLOSE_BRACE) this.skipMemberName();
        break;
      }
    }
  }

  private skipMemberName(): void {
    if (this.bytes[this.pos] !== QUOTE) this.fail('expected a member name');
    this.string();
    this.whitespace();
    this.expect(COLON, '":"');
    this.whitespace();
  }

  // Stryker disable BooleanLiteral: the value of a skipped literal is not used.
  private scalarToken(): void {
    const byte = this.bytes[this.pos];
    if (byte === QUOTE) this.string();
    else if (byte === MINUS || isDigit(byte)) this.number();
    else if (byte === 0x74) this.literal('true', true);
    else if (byte === 0x66) this.literal('false', false);
    else if (byte === 0x6e) this.literal('null', null);
    else this.fail('expected a JSON value');
  }
  // Stryker restore BooleanLiteral

  /** `[start, end)` without the whitespace runs listed in `gaps`: a view of the body when there are none, else a copy. */
  private sourceWithout(start: number, end: number, gaps: readonly number[]): Buffer {
    const { source } = this;
    // A view, not a copy: the request's records live no longer than its body, and kafkajs copies
    // each value into its own encoder. Copying cost an allocation per key and per value.
    // Stryker disable next-line ConditionalExpression: speed only; the loop below copies the same bytes when there are no gaps.
    if (gaps.length === 0) return source.subarray(start, end);
    const pieces: Buffer[] = [];
    let from = start;
    for (let i = 0; i < gaps.length; i += 2) {
      pieces.push(source.subarray(from, gaps[i]));
      from = gaps[i + 1] as number;
    }
    pieces.push(source.subarray(from, end));
    return Buffer.concat(pieces);
  }
}

/** Values read one after another by {@link readJsonSequence}. */
export interface JsonSequence {
  /** The values read, in order. */
  values: unknown[];
  /** Why reading stopped early: the value after `values` is not JSON (for example a body cut in the middle of it). */
  error?: JsonSyntaxError;
  /** The byte where that value started. */
  errorStart?: number;
}

/**
 * Reads JSON values written one after another, with or without whitespace between them
 * (concatenated JSON, as the REST Proxy v3 streaming produce takes it), keeping values at
 * `raw` places as written. Reading stops at the first value that is not JSON: nothing after
 * it can be told apart.
 *
 * @throws {JsonSyntaxError} when `bytes` is not UTF-8.
 */
export function readJsonSequence(bytes: Uint8Array, place: Place): JsonSequence {
  if (!isUtf8(bytes)) throw new JsonSyntaxError('not valid UTF-8', 0);
  return new Reader(bytes).sequence(place);
}

/**
 * Reads a JSON document, keeping values at `raw` places as written.
 *
 * @param place - how to treat the document's root (see {@link Place}).
 * @throws {JsonSyntaxError} when `bytes` is not UTF-8 JSON (a leading UTF-8 byte order mark is ignored).
 */
export function readJson(bytes: Uint8Array, place: Place): unknown {
  if (!isUtf8(bytes)) throw new JsonSyntaxError('not valid UTF-8', 0);
  return new Reader(bytes).document(place);
}
