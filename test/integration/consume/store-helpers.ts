/** Reads the consume function's tables from the outside, and a counting processor around the real one. */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ConsumedRecord } from '../../../lib/consume/event';
import type { MessageItem, MessagesTable, PutOnceOutcome } from '../../../lib/dynamo/messages-table';
import type { ProcessContext, RecordProcessor } from '../../../lib/consume/processor';

/** Every item of `table`, unmarshalled. */
export async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
  return items;
}

/** `messageId`s of the messages table, sorted. */
export async function messageIds(client: DynamoDBClient, table: string): Promise<string[]> {
  return (await scanAll(client, table)).map((item) => String(item.messageId)).sort();
}

/**
 * Wraps a processor, counting how often each message id was applied (reached the effect and
 * returned), and failing chosen ids once or always.
 */
export class CountingProcessor implements RecordProcessor {
  readonly applied = new Map<string, number>();
  readonly failOnce = new Set<string>();
  /** Called before the effect; may hold the record up (a crash is a promise that never settles). */
  before: (record: ConsumedRecord, context: ProcessContext) => Promise<void> = async () => {};
  after: (record: ConsumedRecord, context: ProcessContext) => Promise<void> = async () => {};

  constructor(private readonly inner: RecordProcessor) {}

  async process(record: ConsumedRecord, context: ProcessContext): Promise<void> {
    await this.before(record, context);
    if (this.failOnce.delete(context.messageId)) throw new Error(`transient failure of ${context.messageId}`);
    await this.inner.process(record, context);
    this.applied.set(context.messageId, (this.applied.get(context.messageId) ?? 0) + 1);
    await this.after(record, context);
  }

  /** Total applications. */
  total(): number {
    return [...this.applied.values()].reduce((sum, n) => sum + n, 0);
  }
}

/**
 * Wraps a messages table, counting the writes that actually wrote an item, per message id: a
 * put that wrote, and each item of a putAll that succeeded.
 */
export class CountingTable implements MessagesTable {
  readonly written = new Map<string, number>();
  constructor(private readonly inner: MessagesTable) {}
  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    const outcome = await this.inner.putOnce(item);
    if (outcome === 'written') this.count(item);
    return outcome;
  }
  async putAll(items: readonly MessageItem[]): Promise<void> {
    await this.inner.putAll(items);
    for (const item of items) this.count(item);
  }
  private count(item: MessageItem): void {
    this.written.set(item.messageId, (this.written.get(item.messageId) ?? 0) + 1);
  }
}
