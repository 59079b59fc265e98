/**
 * Builds the event Lambda's Amazon MSK event source mapping sends to a function, from
 * fetched records: `eventSource` "aws:kafka", records grouped under "<topic>-<partition>",
 * key and value base64, headers as `{name: [byte, ...]}` objects with signed bytes (Kafka's null
 * header value as `{}`, see {@link mskHeader}).
 * Shape: https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 */
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import type { FetchedRecord } from './kafka/consumer';

/** Where the emulated cluster lives, for `eventSourceArn` and `bootstrapServers`. */
export interface EmulatedCluster {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** AWS region written into the ARN. */
  region: string;
}

/** The ARN the emulator puts in `eventSourceArn`: an MSK cluster ARN in a placeholder account. */
export function emulatedClusterArn(cluster: EmulatedCluster): string {
  return `arn:aws:kafka:${cluster.region}:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1`;
}

/** The grouping key Lambda uses for a partition's records, and the `partition` of a batch item failure. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * A header value as the event source writes it: a Java `byte[]` serialised to JSON, so bytes
 * above 127 are negative (-128..-1). "ë" (UTF-8 C3 AB) becomes `[-61, -85]`. Sending them
 * this way locally exercises the decoder's path for them on every run.
 */
export function javaSignedBytes(value: Uint8Array): number[] {
  return Array.from(value, (byte) => (byte > 127 ? byte - 256 : byte));
}

/**
 * One header as the event carries it: `{name: [signed bytes]}`, and for Kafka's null header value
 * an empty object, `{}`, its name left out with the value. AWS documents no form for it; one
 * report of events Lambda delivered shows `{}` in its place (https://github.com/Nike-Inc/hal/pull/144),
 * the serialiser leaving a null out as it leaves out a null key or value. The consume function
 * reads `{}` as no header and `{"name": null}`, which other senders may write, as the null value.
 */
export function mskHeader(name: string, value: Buffer | null): Record<string, number[]> {
  return value === null ? {} : { [name]: javaSignedBytes(value) };
}

/** One fetched record as the event carries it. */
export function toMskRecord(record: FetchedRecord): MSKRecord {
  const mskRecord = {
    topic: record.topic,
    partition: record.partition,
    // Lambda sends offsets as JSON numbers; offsets past 2^53 cannot occur on a local broker.
    offset: Number(record.offset),
    timestamp: record.timestampMs,
    timestampType: 'CREATE_TIME' as const,
    ...(record.key === null ? {} : { key: record.key.toString('base64') }),
    ...(record.value === null ? {} : { value: record.value.toString('base64') }),
    headers: record.headers.map(({ name, value }) => mskHeader(name, value)),
  };
  // A null key or value is left out, as the event source mapping does.
  return mskRecord as MSKRecord;
}

/** Builds an MSK event carrying `records` (already in ascending offset order per partition). */
export function buildMskEvent(cluster: EmulatedCluster, records: readonly FetchedRecord[]): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const record of records) (grouped[partitionKey(record.topic, record.partition)] ??= []).push(toMskRecord(record));
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: emulatedClusterArn(cluster),
    bootstrapServers: cluster.brokers.join(','),
    records: grouped,
  };
}

/**
 * Bytes of the JSON event for one partition's records, apart from the records themselves:
 * the envelope and the partition's group key. An event of records r1..rn is this plus each
 * record's {@link mskRecordBytes} plus n-1 commas, exactly.
 */
export function eventEnvelopeBytes(cluster: EmulatedCluster, topic: string, partition: number): number {
  const empty = { ...buildMskEvent(cluster, []), records: { [partitionKey(topic, partition)]: [] } };
  return Buffer.byteLength(JSON.stringify(empty));
}

/** Bytes of one record's JSON in the event. */
export function mskRecordBytes(record: FetchedRecord): number {
  return Buffer.byteLength(JSON.stringify(toMskRecord(record)));
}
