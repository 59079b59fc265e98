/**
 * Looks at the pipeline from the outside, as a test would: reads a topic back from the
 * broker and scans the sink table. Uses kafkajs and the AWS SDK directly on purpose, so
 * the checks do not go through the code under test.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readFailureMessage } from '../../local/emulator/failure-record';
import { scanItems } from '../../local/table-scan';

/** A record read back from a topic. */
export interface TopicRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** A quiet kafkajs client for checks. */
export function outsideKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'chaos-observer', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, maxRetryTime: 2_000 } });
}

/** A DynamoDB client for checks, with retries off so an outage shows at once. */
export function outsideDynamo(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' }, maxAttempts: 1 });
}

async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
}

/**
 * Reads every record of `topic` up to the high watermarks as they are when called, with a
 * throwaway consumer group.
 *
 * @throws Error when not everything was read within `timeoutMs`.
 */
export async function readTopic(brokers: string[], topic: string, timeoutMs = 60_000): Promise<TopicRecord[]> {
  const kafka = outsideKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    ends = await highWatermarks(admin, topic);
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([partition]) => partition));
  if (remaining.size === 0) return [];
  const records: TopicRecord[] = [];
  const groupId = `chaos-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic}: partitions ${[...remaining].join(',')} not finished after ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) {
                if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
              }
              const offset = Number(message.offset);
              if (offset < (ends.get(batch.partition) ?? 0)) {
                records.push({ partition: batch.partition, offset, key: message.key?.toString('utf8') ?? null, value: message.value, headers });
              }
            }
            // Transaction markers can leave the last offset unread; the batch's own end is authoritative.
            const reached = Math.max(Number(batch.lastOffset()) + 1, ...batch.messages.map((m) => Number(m.offset) + 1));
            if (reached >= (ends.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup
      .connect()
      .then(() => cleanup.deleteGroups([groupId]))
      .catch(() => undefined);
    await cleanup.disconnect().catch(() => undefined);
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Sum of a topic's high watermarks: how many records it holds. */
export async function countTopic(brokers: string[], topic: string): Promise<number> {
  const admin = outsideKafka(brokers).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const high of (await highWatermarks(admin, topic)).values()) total += high;
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** Where a consumer group stands on one partition: the partition's end and the group's committed offset (-1 when none). */
export interface PartitionPosition {
  partition: number;
  /** The high watermark: the offset the next record will get. */
  high: number;
  /** The offset of the next record the group will read; -1 before its first commit. */
  committed: number;
}

/** Each partition of `topic` with `groupId`'s committed offset, by partition. */
export async function consumerPositions(brokers: string[], groupId: string, topic: string): Promise<PartitionPosition[]> {
  const admin = outsideKafka(brokers).admin();
  await admin.connect();
  try {
    const ends = await highWatermarks(admin, topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map((committed?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]));
    return [...ends].map(([partition, high]) => ({ partition, high, committed: byPartition.get(partition) ?? -1 })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Records of the partitions not yet committed past: the consumer group's lag, summed. */
export function lagOf(positions: readonly PartitionPosition[]): number {
  return positions.reduce((sum, { high, committed }) => sum + Math.max(0, high - Math.max(0, committed)), 0);
}

/** Every item of `table`, unmarshalled. */
export async function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of scanItems(client, table)) items.push(unmarshall(item));
  return items;
}

/** How many items `table` holds. */
export async function countTable(client: DynamoDBClient, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return count;
}

/** The chaos message carried in a value: the scenario's own id and, for ordering, key and sequence. */
export interface ChaosMessage {
  id: string;
  key?: string;
  seq?: number;
}

/** Reads the chaos message from a value as stored on the topic (JSON bytes) or in the sink (parsed JSON or its text). */
export function chaosMessage(value: unknown): ChaosMessage | undefined {
  let parsed: unknown = value;
  try {
    if (Buffer.isBuffer(value)) parsed = JSON.parse(value.toString('utf8'));
    else if (typeof value === 'string') parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { id, key, seq } = parsed as Record<string, unknown>;
  if (typeof id !== 'string') return undefined;
  return { id, ...(typeof key === 'string' ? { key } : {}), ...(typeof seq === 'number' ? { seq } : {}) };
}

/** A record the event source gave up on, read back from the on-failure topic: the failed record and what Lambda's document says. */
export interface DeadLetteredRecord extends TopicRecord {
  sourceTopic: string;
  condition: string;
  approximateInvokeCount: number;
  reason?: string;
}

/**
 * The failed records held by the on-failure topic's failure documents, with their source
 * partition and offset; a document without its payload (a record too big for it) is left out.
 */
export function deadLetteredRecords(onFailureRecords: readonly TopicRecord[]): DeadLetteredRecord[] {
  return onFailureRecords.flatMap((message) => {
    const headers = Object.entries(message.headers).map(([name, value]) => ({ name, value: Buffer.from(value, 'utf8') }));
    const { document, reason, record } = readFailureMessage(message.value, headers);
    if (record === undefined) return [];
    return [
      {
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString('utf8') ?? null,
        value: record.value,
        // Read as line 73 reads a fetched header: a null value is the text 'null'.
        headers: Object.fromEntries(record.headers.map(({ name, value }) => [name, value === null ? 'null' : value.toString('utf8')])),
        sourceTopic: record.topic,
        condition: document.requestContext.condition,
        approximateInvokeCount: document.requestContext.approximateInvokeCount,
        ...(reason === undefined ? {} : { reason }),
      },
    ];
  });
}
