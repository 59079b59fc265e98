/**
 * The default {@link RecordProcessor} (the demo's business step): the record's value, parsed
 * as UTF-8 JSON, is written to `MESSAGES_TABLE` exactly once, keyed by the message identity
 * (the message id, qualified by its caller when it has one).
 */
import type { Clock } from '../clock';
import type { MessagesTable, MessageItem } from '../dynamo/messages-table';
import { UnprocessableRecordError } from '../errors';
import type { ConsumedRecord } from './event';
import type { ProcessContext, RecordProcessor } from './processor';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Parses the value; the error never quotes the value, so logs stay free of record contents. */
function parseValue(value: Buffer | null): unknown {
  if (value === null) throw new UnprocessableRecordError('value is absent (tombstone), not JSON');
  let text: string;
  try {
    text = strictUtf8.decode(value);
  } catch (error) {
    throw new UnprocessableRecordError('value is not valid UTF-8', { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UnprocessableRecordError('value is not valid JSON');
  }
}

/** Creates the default processor writing to `table`. */
export function createMessagesProcessor(table: MessagesTable, clock: Clock): RecordProcessor {
  return {
    async process(record: ConsumedRecord, context: ProcessContext): Promise<void> {
      const item: MessageItem = {
        messageId: context.messageId,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        value: parseValue(record.value),
        processedAt: new Date(clock.nowMs()).toISOString(),
      };
      // The key is informational; bytes that are not UTF-8 are kept with replacement characters.
      if (context.callerId !== undefined) item.callerId = context.callerId;
      if (record.key !== null) item.key = lenientUtf8.decode(record.key);
      // 'already-written' is success: an earlier delivery wrote it and crashed before completing.
      await table.putOnce(item);
    },
  };
}
