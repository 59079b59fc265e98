/**
 * Decodes and validates the event a Lambda Kafka event source mapping sends: Amazon MSK
 * (`eventSource: "aws:kafka"`, https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html)
 * and self-managed Kafka (`"SelfManagedKafka"`, https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html).
 *
 * Two levels of "malformed":
 * - the event is malformed when a record cannot be identified (no valid topic, partition or
 *   offset, or a group key other than `"<topic>-<partition>"`). No trustworthy failure report
 *   can name such a record, so {@link decodeKafkaEvent} throws and nothing is processed.
 * - a record is malformed when it is identified but its content is not (bad base64, bad
 *   headers, a missing timestamp). It is returned as a {@link MalformedRecord}: the record
 *   fails, and with it the rest of its partition, while other partitions proceed.
 */
import { type AppError, MalformedEventError } from '../errors';
import { isBase64, isFiniteNumber, isInteger, isPlainObject, isSafeInteger } from '../json-checks';
import type { DecodedData } from '../schema/schemas';

/** The event sources this decoder accepts. */
export const KafkaEventSource = {
  Msk: 'aws:kafka',
  SelfManaged: 'SelfManagedKafka',
} as const;
export type KafkaEventSource = (typeof KafkaEventSource)[keyof typeof KafkaEventSource];

/** Schema registry metadata the event source adds to a key or value when one is configured. */
export interface SchemaMetadata {
  dataFormat?: string;
  schemaId?: string;
}

/** One record header; Kafka allows repeated names, so headers stay a list in wire order. */
export interface RecordHeader {
  name: string;
  /** The value's bytes, or null for Kafka's null header value (delivered as `{"name": null}`). */
  value: Buffer | null;
}

/** A decoded Kafka record as the processor sees it. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp, epoch milliseconds. */
  timestampMs: number;
  /** `CREATE_TIME` or `LOG_APPEND_TIME` as the event source reports it. */
  timestampType: string;
  /** Key bytes, or null when the record has no key. */
  key: Buffer | null;
  /** Value bytes, or null for a tombstone. */
  value: Buffer | null;
  headers: RecordHeader[];
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
  /** The key decoded with its schema, when it was framed or delivered with schema metadata (see `./schema-decoding`). */
  decodedKey?: DecodedData;
  /** The value decoded with its schema, likewise. */
  decodedValue?: DecodedData;
}

/** A record whose identity is known but whose content is malformed, or could not be decoded with its schema. */
export interface MalformedRecord {
  topic: string;
  partition: number;
  offset: number;
  error: AppError;
  /** Why the record fails, when it is more than malformed (see `./failure-reason`). */
  reason?: string;
}

/** One entry of a partition: a decoded record or a malformed one. */
export type PartitionEntry = { record: ConsumedRecord } | { malformed: MalformedRecord };

/** The records of one `"<topic>-<partition>"` group, by ascending offset, each offset once. */
export interface DecodedPartition {
  /** `"<topic>-<partition>"`, the group key and the `partition` of a batch item failure. */
  partitionKey: string;
  topic: string;
  partition: number;
  entries: PartitionEntry[];
}

/** A decoded event. */
export interface DecodedEvent {
  eventSource: KafkaEventSource;
  partitions: DecodedPartition[];
  /** Number of records in the event, counting a repeated offset once. */
  recordCount: number;
}

function isWholeNumber(value: unknown): value is number {
  return isSafeInteger(value) && value >= 0;
}

function base64(value: unknown, path: string): Buffer {
  if (!isBase64(value)) throw new MalformedEventError(`${path} is not base64`);
  return Buffer.from(value, 'base64');
}

function optionalBytes(record: Record<string, unknown>, field: string, path: string): Buffer | null {
  const value = record[field];
  // The event source leaves a null key or value out; some senders write null instead.
  return value === undefined || value === null ? null : base64(value, `${path}.${field}`);
}

/**
 * The byte a header array element stands for, or undefined when it is none. The event source
 * serialises a header value as a Java `byte[]`, so bytes above 127 arrive negative
 * (-128..-1); 0..255 is accepted too, as other senders write it. Other runtimes fixed the same
 * trap: https://github.com/aws/aws-lambda-go/pull/506,
 * https://github.com/aws-powertools/powertools-lambda-python/issues/6862
 */
export function headerByte(value: unknown): number | undefined {
  if (!isInteger(value) || value < -128 || value > 255) return undefined;
  return value & 0xff;
}

/**
 * A header's value: its bytes, or null for Kafka's null header value (a header with a name and no
 * value, which Kafka keeps apart from an empty one, `[]`). AWS documents no form for it. One
 * report of what Lambda sends (https://github.com/Nike-Inc/hal/pull/144) shows a null value as an
 * empty object, `{}`, in the headers list: the serialiser leaves a null out, as it leaves out a
 * null key or value, and the name goes with it. Such an entry has no name to give a header, so
 * {@link headers} reads it as none. `{"name": null}`, the form a serialiser that writes null map
 * values gives, is read as the null value under that name. Anything else that is not an array of
 * bytes makes the record malformed, with its path.
 */
function headerValue(bytes: unknown, path: string): Buffer | null {
  if (bytes === null) return null;
  if (!Array.isArray(bytes)) throw new MalformedEventError(`${path} is not an array of bytes or null`);
  const result = Buffer.alloc(bytes.length);
  bytes.forEach((element: unknown, i) => {
    const byte = headerByte(element);
    if (byte === undefined) throw new MalformedEventError(`${path}[${i}] is not a byte (an integer from -128 to 255)`);
    result[i] = byte;
  });
  return result;
}

function headers(value: unknown, path: string): RecordHeader[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MalformedEventError(`${path}.headers is not an array`);
  const result: RecordHeader[] = [];
  value.forEach((header: unknown, index) => {
    const headerPath = `${path}.headers[${index}]`;
    if (!isPlainObject(header)) throw new MalformedEventError(`${headerPath} is not an object`);
    // An empty object is a null header value whose name the event source left out (see headerValue): no header to keep.
    for (const [name, bytes] of Object.entries(header)) {
      result.push({ name, value: headerValue(bytes, `${headerPath}[${JSON.stringify(name)}]`) });
    }
  });
  return result;
}

function schemaMetadata(value: unknown, path: string): SchemaMetadata | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new MalformedEventError(`${path} is not an object`);
  const result: SchemaMetadata = {};
  for (const field of ['dataFormat', 'schemaId'] as const) {
    const text = value[field];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') throw new MalformedEventError(`${path}.${field} is not a string`);
    result[field] = text;
  }
  return result;
}

function content(raw: Record<string, unknown>, identity: { topic: string; partition: number; offset: number }, path: string): ConsumedRecord {
  const { timestamp, timestampType } = raw;
  if (!isFiniteNumber(timestamp)) throw new MalformedEventError(`${path}.timestamp is not a number`);
  if (typeof timestampType !== 'string' || timestampType === '') throw new MalformedEventError(`${path}.timestampType is not a string`);
  const record: ConsumedRecord = {
    ...identity,
    timestampMs: timestamp,
    timestampType,
    key: optionalBytes(raw, 'key', path),
    value: optionalBytes(raw, 'value', path),
    headers: headers(raw.headers, path),
  };
  const keySchema = schemaMetadata(raw.keySchemaMetadata, `${path}.keySchemaMetadata`);
  const valueSchema = schemaMetadata(raw.valueSchemaMetadata, `${path}.valueSchemaMetadata`);
  if (keySchema !== undefined) record.keySchemaMetadata = keySchema;
  if (valueSchema !== undefined) record.valueSchemaMetadata = valueSchema;
  return record;
}

function decodePartition(groupKey: string, group: unknown): DecodedPartition {
  const groupPath = `records[${JSON.stringify(groupKey)}]`;
  if (!Array.isArray(group)) throw new MalformedEventError(`${groupPath} is not an array`);
  const byOffset = new Map<number, PartitionEntry>();
  let topicPartition: { topic: string; partition: number } | undefined;
  group.forEach((raw: unknown, index) => {
    const path = `${groupPath}[${index}]`;
    if (!isPlainObject(raw)) throw new MalformedEventError(`${path} is not an object`);
    const { topic, partition, offset } = raw;
    if (typeof topic !== 'string' || topic === '') throw new MalformedEventError(`${path}.topic is not a non-empty string`);
    if (!isWholeNumber(partition)) throw new MalformedEventError(`${path}.partition is not a non-negative integer`);
    if (!isWholeNumber(offset)) throw new MalformedEventError(`${path}.offset is not a non-negative integer`);
    if (`${topic}-${partition}` !== groupKey) {
      throw new MalformedEventError(`${path} is topic "${topic}" partition ${partition}, not of group "${groupKey}"`);
    }
    topicPartition = { topic, partition };
    // A repeated offset is the same record delivered twice in one event; it counts once.
    if (byOffset.has(offset)) return;
    try {
      byOffset.set(offset, { record: content(raw, { topic, partition, offset }, path) });
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      byOffset.set(offset, { malformed: { topic, partition, offset, error } });
    }
  });
  const entries = [...byOffset.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
  const lastDash = groupKey.lastIndexOf('-');
  const fallback = { topic: groupKey.slice(0, Math.max(0, lastDash)), partition: Number(groupKey.slice(lastDash + 1)) };
  return { partitionKey: groupKey, ...(topicPartition ?? fallback), entries };
}

/**
 * Decodes `event`, grouping records by partition in ascending offset order.
 *
 * @throws {MalformedEventError} naming the path of the first problem (for example
 *   `records["t-0"][2].offset`) when the event is not a Kafka event or a record cannot be identified.
 */
export function decodeKafkaEvent(event: unknown): DecodedEvent {
  if (!isPlainObject(event)) throw new MalformedEventError('event is not an object');
  const { eventSource, records } = event;
  if (eventSource !== KafkaEventSource.Msk && eventSource !== KafkaEventSource.SelfManaged) {
    throw new MalformedEventError(`eventSource is ${JSON.stringify(eventSource)}, not "aws:kafka" or "SelfManagedKafka"`);
  }
  if (!isPlainObject(records)) throw new MalformedEventError('records is not an object');
  const partitions = Object.keys(records).map((groupKey) => decodePartition(groupKey, records[groupKey]));
  const recordCount = partitions.reduce((sum, partition) => sum + partition.entries.length, 0);
  return { eventSource, partitions, recordCount };
}

/** Entry accessors, so callers need not narrow the union by hand. */
export function entryOffset(entry: PartitionEntry): number {
  return 'record' in entry ? entry.record.offset : entry.malformed.offset;
}
