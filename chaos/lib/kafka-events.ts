/**
 * Builds Lambda Kafka events (Amazon MSK `aws:kafka` shape) from the outside, as the event
 * source mapping would send them: records grouped by `"<topic>-<partition>"`, key and
 * value base64, headers as `{name: [byte, ...]}` arrays.
 */

/** One record to put in an event. */
export interface EventRecordSpec {
  topic: string;
  partition: number;
  offset: number;
  key?: string;
  /** Raw value bytes (or text, encoded as UTF-8); null for a tombstone. */
  value: Buffer | string | null;
  headers?: Record<string, string>;
  timestampMs?: number;
}

/** A record in the event's wire shape. */
export interface WireRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  key?: string;
  value: string | null;
  headers: Record<string, number[]>[];
}

/** The `aws:kafka` event shape. */
export interface WireEvent {
  eventSource: 'aws:kafka';
  eventSourceArn: string;
  bootstrapServers: string;
  records: Record<string, WireRecord[]>;
}

/** Converts one record spec to the wire shape. */
export function wireRecord(spec: EventRecordSpec): WireRecord {
  const value = spec.value === null ? null : (Buffer.isBuffer(spec.value) ? spec.value : Buffer.from(spec.value, 'utf8')).toString('base64');
  return {
    topic: spec.topic,
    partition: spec.partition,
    offset: spec.offset,
    timestamp: spec.timestampMs ?? 1_700_000_000_000,
    timestampType: 'CREATE_TIME',
    ...(spec.key === undefined ? {} : { key: Buffer.from(spec.key, 'utf8').toString('base64') }),
    value,
    headers: Object.entries(spec.headers ?? {}).map(([name, text]) => ({ [name]: [...Buffer.from(text, 'utf8')] })),
  };
}

/** Groups records into an MSK event, each partition's records in the given order. */
export function kafkaEvent(records: readonly EventRecordSpec[]): WireEvent {
  const grouped: Record<string, WireRecord[]> = {};
  for (const spec of records) (grouped[`${spec.topic}-${spec.partition}`] ??= []).push(wireRecord(spec));
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/chaos/00000000-0000-0000-0000-000000000000-1',
    bootstrapServers: '127.0.0.1:9092',
    records: grouped,
  };
}
