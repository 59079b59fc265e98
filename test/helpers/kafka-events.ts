/**
 * Factories for Lambda Kafka events as the event source mapping sends them: records grouped
 * under `"<topic>-<partition>"`, key and value base64, headers as `{name: [byte, ...]}` (signed).
 */
import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { javaSignedBytes } from '../../local/msk-event';

/** A record to put in an event; text is encoded as UTF-8. */
export interface RecordSpec {
  topic?: string;
  partition?: number;
  offset: number;
  /** Key text or bytes; omitted when undefined, as the event source does for a null key. */
  key?: string | Buffer;
  /** Value: any JSON-able value (serialised), raw text/bytes with `rawValue`, or null for a tombstone. */
  value?: unknown;
  /** Raw value text or bytes, sent as is. */
  rawValue?: string | Buffer;
  /** Header name to text; repeat a name with `headerList`. */
  headers?: Record<string, string>;
  headerList?: { name: string; value: string | Buffer }[];
  timestampMs?: number;
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
}

/** A record in the wire shape (loose, so tests can break it on purpose). */
export type WireRecord = Record<string, unknown>;

/** Default topic of {@link wireRecord}. */
const TEST_TOPIC = 'orders';

const bytes = (value: string | Buffer): Buffer => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

/** One record in the event source's shape. */
export function wireRecord(spec: RecordSpec): WireRecord {
  const record: WireRecord = {
    topic: spec.topic ?? TEST_TOPIC,
    partition: spec.partition ?? 0,
    offset: spec.offset,
    timestamp: spec.timestampMs ?? 1_700_000_000_000 + spec.offset,
    timestampType: spec.timestampType ?? 'CREATE_TIME',
  };
  if (spec.key !== undefined) record.key = bytes(spec.key).toString('base64');
  if (spec.rawValue !== undefined) record.value = bytes(spec.rawValue).toString('base64');
  else if (spec.value !== null) record.value = Buffer.from(JSON.stringify(spec.value ?? { offset: spec.offset }), 'utf8').toString('base64');
  const headers = [...Object.entries(spec.headers ?? {}).map(([name, value]) => ({ name, value })), ...(spec.headerList ?? [])];
  // Signed, as the event source serialises a Java byte[].
  record.headers = headers.map(({ name, value }) => ({ [name]: javaSignedBytes(bytes(value)) }));
  return record;
}

/** Options of {@link kafkaEvent}. */
export interface EventOptions {
  eventSource?: 'aws:kafka' | 'SelfManagedKafka';
}

/**
 * An event carrying `records` grouped by partition, each group in the order given (pass
 * records out of order to test sorting).
 */
export function kafkaEvent(records: readonly RecordSpec[], options: EventOptions = {}): MSKEvent | SelfManagedKafkaEvent {
  const grouped: Record<string, WireRecord[]> = {};
  for (const spec of records) (grouped[`${spec.topic ?? TEST_TOPIC}-${spec.partition ?? 0}`] ??= []).push(wireRecord(spec));
  const bootstrapServers = 'b-1.example.kafka.us-east-1.amazonaws.com:9092,b-2.example.kafka.us-east-1.amazonaws.com:9092';
  if (options.eventSource === 'SelfManagedKafka') {
    return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped } as unknown as SelfManagedKafkaEvent;
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/test/abcd1234-abcd-cafe-abab-9876543210ab-4',
    bootstrapServers,
    records: grouped,
  } as unknown as MSKEvent;
}

/** Records `first`..`first + count - 1` of one partition, values `{n: offset}`. */
export function recordRange(partition: number, first: number, count: number, topic = TEST_TOPIC): RecordSpec[] {
  return Array.from({ length: count }, (_, i) => ({ topic, partition, offset: first + i, value: { n: first + i } }));
}

/** The `batchItemFailures` identifier of a record, for expected values. */
export function failed(partition: string, offset: number): { itemIdentifier: { partition: string; offset: number } } {
  return { itemIdentifier: { partition, offset } };
}
