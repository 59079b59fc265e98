/**
 * What the emulator writes to the on-failure Kafka topic for a record whose retries are
 * exhausted. Like Lambda's Kafka on-failure destination, the destination receives the actual
 * record (its key, value and headers, unchanged) plus failure metadata
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
 * The metadata travels in extra headers, named after the fields of Lambda's invocation
 * record for stream sources (condition, approximateInvokeCount, the source position), so
 * that the original bytes stay untouched for a replay.
 */
import type { FetchedRecord } from './kafka/consumer';
import type { OutgoingRecord } from '../lib/kafka/producer';

/** Names of the failure metadata headers added to a dead-lettered record. */
export const FailureHeader = {
  /** Why the record left the stream: always `RetryAttemptsExhausted` here. */
  Condition: 'x-failure-condition',
  /** How many times the function was invoked with this record. */
  ApproximateInvokeCount: 'x-failure-approximate-invoke-count',
  /** `BatchItemFailure` when the function reported the record, else the thrown error's message. */
  FunctionError: 'x-failure-function-error',
  /**
   * Why the consume function failed the record, as it logged it (for example `message id
   * reused with a different payload`); only for a reported record. Lambda's destination has
   * no such field: the emulator adds it to save a trip to the logs.
   */
  Reason: 'x-failure-reason',
  SourceTopic: 'x-failure-source-topic',
  SourcePartition: 'x-failure-source-partition',
  SourceOffset: 'x-failure-source-offset',
  /** The record's own timestamp, milliseconds since the epoch. */
  SourceTimestampMs: 'x-failure-source-timestamp-ms',
  EventSourceArn: 'x-failure-event-source-arn',
  /** When the record was dead-lettered, ISO 8601. */
  FailedAt: 'x-failure-failed-at',
} as const;

/** Why and when a record is dead-lettered. */
export interface FailureInfo {
  invokeCount: number;
  functionError: string;
  /** The consume function's reason for failing the record, when it gave one. */
  reason?: string;
  eventSourceArn: string;
  failedAtMs: number;
}

const MAX_ERROR_BYTES = 1_024;

/** The record to produce to the on-failure topic for `record`. */
export function deadLetterRecord(record: FetchedRecord, failure: FailureInfo): OutgoingRecord {
  const text = (value: string): Buffer => Buffer.from(value, 'utf8');
  return {
    key: record.key,
    value: record.value,
    headers: [
      ...record.headers,
      { name: FailureHeader.Condition, value: text('RetryAttemptsExhausted') },
      { name: FailureHeader.ApproximateInvokeCount, value: text(String(failure.invokeCount)) },
      { name: FailureHeader.FunctionError, value: text(failure.functionError).subarray(0, MAX_ERROR_BYTES) },
      ...(failure.reason === undefined ? [] : [{ name: FailureHeader.Reason, value: text(failure.reason).subarray(0, MAX_ERROR_BYTES) }]),
      { name: FailureHeader.SourceTopic, value: text(record.topic) },
      { name: FailureHeader.SourcePartition, value: text(String(record.partition)) },
      { name: FailureHeader.SourceOffset, value: text(record.offset) },
      { name: FailureHeader.SourceTimestampMs, value: text(String(record.timestampMs)) },
      { name: FailureHeader.EventSourceArn, value: text(failure.eventSourceArn) },
      { name: FailureHeader.FailedAt, value: text(new Date(failure.failedAtMs).toISOString()) },
    ],
  };
}
