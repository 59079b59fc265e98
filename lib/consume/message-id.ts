/** Message ids and idempotency keys of consumed records. */
import { payloadHash } from '../idempotency/keys';
import type { ConsumedRecord } from './event';
import { MESSAGE_ID_HEADER } from '../headers';


// DynamoDB caps a partition key at 2048 bytes; longer ids are replaced by their hash.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
const MAX_ID_BYTES = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bounded(id: string): string {
  return Buffer.byteLength(id, 'utf8') <= MAX_ID_BYTES ? id : `sha256:${payloadHash(id)}`;
}

/**
 * The record's message id: the last non-empty, valid UTF-8 `message-id` header (Kafka's
 * "last header wins"), else `<topic>-<partition>-<offset>`. Ids over 1 KiB become a hash.
 */
export function messageIdOf(record: ConsumedRecord): string {
  for (let i = record.headers.length - 1; i >= 0; i -= 1) {
    const header = record.headers[i];
    if (header?.name !== MESSAGE_ID_HEADER) continue;
    try {
      const id = utf8.decode(header.value);
      if (id !== '') return bounded(id);
    } catch {
      // Not UTF-8: not an id this project can store; fall back to the record's position.
    }
    break;
  }
  return `${record.topic}-${record.partition}-${record.offset}`;
}

/** The idempotency key of a message id for consumer `scope`. */
export function consumeIdempotencyKey(scope: string, messageId: string): string {
  return `consume:${scope}:${messageId}`;
}
