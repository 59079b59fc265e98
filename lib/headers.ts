/**
 * Names of the record headers that the produce and consume functions agree on: the one
 * home of each, so that the producer that writes a header and the consumer that reads it
 * cannot drift apart (CONTRACT: Produce, Consume).
 */
import { isUtf8 } from 'node:buffer';

/**
 * The id every produced record carries, on which the consumer deduplicates: the client's
 * own header if it sent one, else one the produce function derives.
 */
export const MESSAGE_ID_HEADER = 'message-id';

/**
 * The authenticated caller of the produce API that wrote the record, stamped by the produce
 * function on every record; a request that sets it itself is refused. Its value is a digest
 * of the caller's identity (see `lib/produce/caller.ts`) with a MAC over it and the record
 * (`lib/caller-mac/header.ts`). The consumer makes a caller it verifies part of the
 * idempotency key, so two callers' equal message ids stay two messages.
 */
export const CALLER_HEADER = 'x-caller-id';

/**
 * Where a record written back by `npm run redrive` came from: `<on-failure topic>/<partition>/<offset>`
 * of its failure record. The consume function counts such records (`RecordsRedriven`); they
 * keep their own `message-id`, so one that was in fact processed is skipped as a duplicate.
 */
export const REDRIVEN_FROM_HEADER = 'redriven-from';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text a header value carries when it is usable as an identity (a `message-id`):
 * non-empty, valid UTF-8. Undefined otherwise. (A caller header is usable only when its MAC
 * verifies, `lib/caller-mac/header.ts`.) The one rule both sides apply: the
 * produce function refuses a `message-id` it would not be deduplicated on, and the consumer
 * treats such a header, written straight to Kafka, as absent.
 */
export function identityHeaderText(value: Uint8Array): string | undefined {
  return isIdentityHeader(value) ? strictUtf8.decode(value) : undefined;
}

/**
 * True when {@link identityHeaderText} gives text for `value`: valid UTF-8 with something after
 * the byte order mark the decoder drops. Checked without making the string, which the produce
 * function, validating every `message-id` of a request, does not need.
 */
export function isIdentityHeader(value: Uint8Array): boolean {
  const bom = value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf ? 3 : 0;
  return value.length > bom && isUtf8(value);
}

/**
 * The last header named `name` (Kafka's "last header wins": the one a reader of a single value
 * takes), or undefined when there is none. The one rule every reader of the identity headers
 * applies, on produce and on consume.
 */
export function lastHeaderNamed<H extends { readonly name: string }>(headers: readonly H[], name: string): H | undefined {
  // Stryker disable next-line ArithmeticOperator: starting past the end only reads two missing headers first.
  for (let i = headers.length - 1; i >= 0; i -= 1) {
    const header = headers[i];
    // Stryker disable next-line OptionalChaining: i stays within the headers, so there is always one (the `?.` is for the type checker).
    if (header?.name === name) return header;
  }
  return undefined;
}
