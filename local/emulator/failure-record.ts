/**
 * What the emulator writes to the on-failure Kafka topic for a record that leaves the stream:
 * the JSON document Lambda writes to a `kafka://` destination, one message per failed record,
 * keyed with the record's own key (so it lands on the partition its key maps to)
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html):
 *
 * - `requestContext`: the last invocation's request id, the function's ARN, the condition and
 *   how many times the function was invoked with the record;
 * - `responseContext`: the last invocation's status, version and function error (null when the
 *   record was never invoked: too old or too big, as Lambda documents for the size limit);
 * - `version` "1.0", `timestamp` (when it was written), `KafkaBatchInfo` (the record's offset and
 *   timestamp, the event source, the payload's size) and `payload`: an event holding that one
 *   record, exactly as the function would receive it.
 *
 * Lambda gives no reason beyond the condition; the emulator adds the consume function's reason
 * for failing the record (when it told one) as a header, `x-failure-reason`, outside the document.
 */
import type { MSKEvent } from 'aws-lambda';
import { decodeKafkaEvent, type ConsumedRecord } from '../../lib/consume/event';
import type { OutgoingRecord } from '../../lib/kafka/producer';
import type { FetchedRecord } from '../kafka/consumer';
import { buildMskEvent, type EmulatedCluster } from '../msk-event';

/**
 * Why a record left the stream, as `requestContext.condition` says it. Lambda's Kafka page
 * shows `RetriesExhausted` in its example while every other stream-source page, and the API's
 * destination records, use `RetryAttemptsExhausted`; the emulator writes the latter.
 */
export const FailureCondition = {
  RetryAttemptsExhausted: 'RetryAttemptsExhausted',
  RecordAgeExceeded: 'RecordAgeExceeded',
  MaximumPayloadSizeExceeded: 'MaximumPayloadSizeExceeded',
  /** The schema registry integration found no schema for the record (./schema-registry.ts). */
  SchemaNotFound: 'SCHEMA_NOT_FOUND',
  /** The record did not deserialize with its schema (./schema-registry.ts). */
  DeserializationError: 'DESERIALIZATION_ERROR',
} as const;
export type FailureCondition = (typeof FailureCondition)[keyof typeof FailureCondition];

/** The header carrying the consume function's reason for failing the record (not Lambda's). */
export const FAILURE_REASON_HEADER = 'x-failure-reason';

/** Lambda's document, as written to the destination topic. */
export interface FailureDocument {
  requestContext: { requestId: string; functionArn: string; condition: FailureCondition; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string } | null;
  version: '1.0';
  timestamp: string;
  KafkaBatchInfo: {
    batchSize: 1;
    eventSourceArn: string;
    bootstrapServers: string;
    payloadSize: number;
    recordInfo: { offset: string; timestamp: string };
  };
  /** Absent when the document with it would not fit in a destination message (see {@link MAX_DOCUMENT_BYTES}). */
  payload?: MSKEvent;
}

/**
 * Largest document written with its payload: below Kafka's default `message.max.bytes`
 * (1,048,588) less room for the key and headers. A bigger one (a record near the 6 MB limit)
 * is written without `payload`, as Lambda drops the payload of a record too big for an SNS
 * destination (https://docs.aws.amazon.com/lambda/latest/api/API_OnFailure.html);
 * `KafkaBatchInfo` still names its offset and timestamp.
 */
export const MAX_DOCUMENT_BYTES = 1_000_000;

/** The last invocation with the record, when there was one. */
export interface LastInvocation {
  requestId: string;
  /** How many times the function was invoked with the record. */
  invokeCount: number;
  /** Lambda's `functionError` (`Unhandled` for a thrown error or a timeout), absent when the function answered. */
  functionError?: string;
}

/** Why and when a record fails, and where it came from. */
export interface RecordFailure {
  condition: FailureCondition;
  /** Absent when the function was never invoked with the record. */
  lastInvocation?: LastInvocation;
  /** The consume function's reason, when it told one. */
  reason?: string;
  failedAtMs: number;
}

/** The mapping's identity as the document names it. */
export interface MappingIdentity {
  cluster: EmulatedCluster;
  functionArn: string;
}

const MAX_REASON_BYTES = 1_024;

/** Builds Lambda's failure document for one record. */
export function failureDocument(record: FetchedRecord, failure: RecordFailure, mapping: MappingIdentity, newRequestId: () => string): FailureDocument {
  const payload = buildMskEvent(mapping.cluster, [record]);
  const invocation = failure.lastInvocation;
  return {
    requestContext: {
      requestId: invocation?.requestId ?? newRequestId(),
      functionArn: mapping.functionArn,
      condition: failure.condition,
      approximateInvokeCount: invocation?.invokeCount ?? 0,
    },
    responseContext:
      invocation === undefined
        ? null
        : {
            statusCode: 200,
            executedVersion: '$LATEST',
            ...(invocation.functionError === undefined ? {} : { functionError: invocation.functionError }),
          },
    version: '1.0',
    timestamp: new Date(failure.failedAtMs).toISOString(),
    KafkaBatchInfo: {
      batchSize: 1,
      eventSourceArn: payload.eventSourceArn,
      bootstrapServers: payload.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(payload)),
      recordInfo: { offset: record.offset, timestamp: new Date(record.timestampMs).toISOString() },
    },
    payload,
  };
}

/** The message to produce to the on-failure topic for `record`: its key, the document, the reason header. */
export function failureMessage(record: FetchedRecord, failure: RecordFailure, mapping: MappingIdentity, newRequestId: () => string): OutgoingRecord {
  const whole = failureDocument(record, failure, mapping, newRequestId);
  let text = JSON.stringify(whole);
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) {
    const { payload: _dropped, ...document } = whole;
    text = JSON.stringify(document);
  }
  const reason =
    failure.reason === undefined ? [] : [{ name: FAILURE_REASON_HEADER, value: Buffer.from(failure.reason, 'utf8').subarray(0, MAX_REASON_BYTES) }];
  return { key: record.key, value: Buffer.from(text, 'utf8'), headers: reason };
}

/** A failure message read back from the on-failure topic. */
export interface ReadFailure {
  document: FailureDocument;
  /** The emulator's `x-failure-reason` header, when there is one. */
  reason?: string;
  /** The failed record, from the document's payload; absent when the payload was left out. */
  record?: ConsumedRecord;
}

/** Raised for a message on the on-failure topic that is not a failure document. */
export class FailureRecordError extends Error {}

/**
 * Reads a message of the on-failure topic: Lambda's document, the reason header, and the
 * failed record decoded from the payload (key, value and headers as the source record had them,
 * but for null header values the payload holds as `{}`, without their names: see `../msk-event.ts`).
 *
 * @throws {FailureRecordError} when the value is not a failure document with a one-record payload.
 */
export function readFailureMessage(value: Buffer | null, headers: readonly { name: string; value: Buffer | null }[]): ReadFailure {
  let document: FailureDocument;
  try {
    document = JSON.parse(value?.toString('utf8') ?? '') as FailureDocument;
  } catch (error) {
    throw new FailureRecordError('the value is not JSON', { cause: error });
  }
  if (typeof document !== 'object' || document === null || typeof document.requestContext?.condition !== 'string' || document.version !== '1.0') {
    throw new FailureRecordError('the value is not a failure document (requestContext.condition, version "1.0")');
  }
  const reasonHeader = headers.find(({ name }) => name === FAILURE_REASON_HEADER);
  const reason = reasonHeader?.value == null ? {} : { reason: reasonHeader.value.toString('utf8') };
  if (document.payload === undefined) return { document, ...reason };
  let decoded: ReturnType<typeof decodeKafkaEvent>;
  try {
    decoded = decodeKafkaEvent(document.payload);
  } catch (error) {
    throw new FailureRecordError('the payload is not a Kafka event', { cause: error });
  }
  const entries = decoded.partitions.flatMap((partition) => partition.entries);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined || !('record' in entry))
    throw new FailureRecordError('the payload does not hold exactly one well-formed record');
  return { document, ...reason, record: entry.record };
}
