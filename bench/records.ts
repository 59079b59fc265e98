/**
 * The records every bench subject handles: the same JSON values, keys and `message-id`
 * headers, built once per measurement so that produce and consume subjects see equal work.
 */
import { randomUUID } from 'node:crypto';
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { callerQualifiedId } from '../lib/consume/message-id';
import { ANONYMOUS_CALLER } from '../lib/produce/caller';

/** One record to produce or consume. */
export interface BenchRecord {
  key: string;
  /** The record's value as JSON text (about 200 bytes). */
  valueJson: string;
  messageId: string;
}

const PADDING = 'x'.repeat(120);

/** `count` records with fresh message ids, so that a consumer sees them as new. */
export function makeRecords(count: number, label: string): BenchRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${label}-${index}`,
    valueJson: JSON.stringify({ index, label, amountCents: 1000 + index, note: PADDING }),
    messageId: randomUUID(),
  }));
}

/** The body of a produce request for `records`, in the REST Proxy v2 JSON shape. */
export function produceRequestBody(records: readonly BenchRecord[]): string {
  return JSON.stringify({
    records: records.map((record) => ({
      key: record.key,
      value: JSON.parse(record.valueJson) as unknown,
      headers: [{ name: 'message-id', value: Buffer.from(record.messageId).toString('base64') }],
    })),
  });
}

/**
 * The body of a REST Proxy v3 produce request for `records`: one `ProduceRequest` per record,
 * written one after another (Confluent's streaming mode), the same keys, values and headers
 * as {@link produceRequestBody}.
 */
export function v3RecordsRequestBody(records: readonly BenchRecord[]): string {
  return records
    .map((record) =>
      JSON.stringify({
        key: { type: 'STRING', data: record.key },
        value: { type: 'JSON', data: JSON.parse(record.valueJson) as unknown },
        headers: [{ name: 'message-id', value: Buffer.from(record.messageId).toString('base64') }],
      }),
    )
    .join('\n');
}

/**
 * An Amazon MSK event holding `records` spread round-robin over `partitions` partitions of
 * `topic`, offsets ascending within each partition from `firstOffset`, as the event source
 * mapping delivers them.
 */
export function mskEvent(topic: string, partitions: number, records: readonly BenchRecord[], firstOffset = 0): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  records.forEach((record, index) => {
    const partition = index % partitions;
    const offset = firstOffset + Math.floor(index / partitions);
    (grouped[`${topic}-${partition}`] ??= []).push({
      topic,
      partition,
      offset,
      timestamp: 1_764_200_000_000 + index,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(record.key).toString('base64'),
      value: Buffer.from(record.valueJson).toString('base64'),
      headers: [{ 'message-id': [...Buffer.from(record.messageId)] }],
    });
  });
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/bench/00000000-0000-0000-0000-000000000000-1',
    bootstrapServers: '127.0.0.1:9092',
    records: grouped,
  };
}

/**
 * The sink's key of a message the bench posted to the local pipeline: its message id,
 * qualified by the caller the produce function stamped (the local runtime's anonymous one).
 */
export function localSinkId(messageId: string): string {
  return callerQualifiedId(ANONYMOUS_CALLER.digest, messageId);
}
