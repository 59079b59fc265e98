/**
 * The default {@link RecordProcessor} (the demo's business step): the record's value, decoded
 * with its schema or else parsed as UTF-8 JSON (numbers kept as written), is written to `MESSAGES_TABLE` exactly once, keyed by the message identity
 * (the message id, qualified by its caller when it has one). It applies runs of records with
 * one BatchWriteItem.
 */
import type { Clock } from '../clock';
import type { MessagesTable, MessageItem } from '../dynamo/messages-table';
import { RunStoppedError, UnprocessableRecordError } from '../errors';
import { expiresAtEpochSec } from '../idempotency/keys';
import { parseJsonExact } from '../json-numbers';
import type { ConsumedRecord } from './event';
import type { ProcessContext, RecordProcessor, RunItem } from './processor';

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
    // Every digit kept: DynamoDB numbers hold 38 significant digits, a double about 15.
    return parseJsonExact(text);
  } catch {
    throw new UnprocessableRecordError('value is not valid JSON');
  }
}

/** Options of {@link createMessagesProcessor}. */
export interface MessagesProcessorOptions {
  /** How long an item stays before DynamoDB's TTL may delete it, from its processing time; unset: no expiry. */
  ttlSeconds?: number;
}

function messageItemOf(record: ConsumedRecord, context: ProcessContext, clock: Clock, options: MessagesProcessorOptions): MessageItem {
  const nowMs = clock.nowMs();
  const item: MessageItem = {
    messageId: context.messageId,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    // A schema'd value was decoded before the plan; any other value is read as JSON.
    value: record.decodedValue !== undefined ? record.decodedValue.value : parseValue(record.value),
    processedAt: new Date(nowMs).toISOString(),
  };
  if (options.ttlSeconds !== undefined) item.expiresAtEpochSec = expiresAtEpochSec(nowMs, options.ttlSeconds);
  // The key is informational; bytes that are not UTF-8 are kept with replacement characters.
  if (context.callerId !== undefined) item.callerId = context.callerId;
  if (record.key !== null) item.key = lenientUtf8.decode(record.key);
  return item;
}

/** Writes `items` (from run index `from`) one at a time, each only if absent, in order; a failure says how many of the run went before it. */
async function putEachOnce(table: MessagesTable, items: readonly MessageItem[], from: number): Promise<void> {
  for (const [i, item] of items.entries()) {
    try {
      // 'already-written' is success: an earlier attempt wrote it and did not complete it.
      await table.putOnce(item);
    } catch (error) {
      throw new RunStoppedError(from + i, error);
    }
  }
}

/** Writes `items` (from run index `from`, none written by an earlier attempt) with one batched write, else one at a time. */
async function putFresh(table: MessagesTable, items: readonly MessageItem[], from: number): Promise<void> {
  try {
    await table.putAll(items);
  } catch (error) {
    if (!(error instanceof UnprocessableRecordError)) throw new RunStoppedError(from, error);
    // The store refused an item for its content, and the request was not written: write
    // one at a time (each only if absent) to apply the records before it and stop there.
    await putEachOnce(table, items, from);
  }
}

/**
 * Applies a run in offset order, in segments: consecutive messages no effect was ever
 * attempted for are written together (BatchWriteItem), a message an earlier attempt may have
 * written only if absent (a conditional PutItem), so that no message is written twice and
 * none is written before the one ahead of it. A value that is not JSON stops the run at its
 * record, after the records before it are written.
 */
async function writeRun(table: MessagesTable, clock: Clock, options: MessagesProcessorOptions, run: readonly RunItem[]): Promise<void> {
  const items: MessageItem[] = [];
  let unusable: { index: number; error: unknown } | undefined;
  for (const [index, { record, context }] of run.entries()) {
    try {
      items.push(messageItemOf(record, context, clock, options));
    } catch (error) {
      unusable = { index, error };
      break;
    }
  }
  let start = 0;
  while (start < items.length) {
    const again = (run[start] as RunItem).context.earlierAttempt;
    let end = start + 1;
    while (end < items.length && (run[end] as RunItem).context.earlierAttempt === again) end += 1;
    const segment = items.slice(start, end);
    await (again ? putEachOnce(table, segment, start) : putFresh(table, segment, start));
    start = end;
  }
  if (unusable !== undefined) throw new RunStoppedError(unusable.index, unusable.error);
}

/** Creates the default processor writing to `table`, each item expiring after `options.ttlSeconds` when set. */
export function createMessagesProcessor(table: MessagesTable, clock: Clock, options: MessagesProcessorOptions = {}): RecordProcessor {
  return {
    processRun: (run) => writeRun(table, clock, options, run),
    async process(record: ConsumedRecord, context: ProcessContext): Promise<void> {
      try {
        await writeRun(table, clock, options, [{ record, context }]);
      } catch (error) {
        throw error instanceof RunStoppedError ? error.cause : error;
      }
    },
  };
}
