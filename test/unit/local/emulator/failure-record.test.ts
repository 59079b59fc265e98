import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../../../local/kafka/consumer';
import {
  failureDocument,
  failureMessage,
  FailureCondition,
  FailureRecordError,
  readFailureMessage,
  type MappingIdentity,
} from '../../../../local/emulator/failure-record';
import { shapeOf } from '../../../helpers/json-shape';

const documented = JSON.parse(readFileSync(new URL('../../../fixtures/lambda-failure-records/kafka-destination-docs-sample.json', import.meta.url), 'utf8'));

// The documented example's record, as the emulator would fetch it.
const record: FetchedRecord = {
  topic: 'my-topic',
  partition: 0,
  offset: '100',
  timestampMs: 1_749_116_692_330,
  key: Buffer.from('test-key'),
  value: Buffer.from('test-value'),
  headers: [],
};

const mapping: MappingIdentity = {
  cluster: { brokers: ['127.0.0.1:19092'], region: 'us-east-1' },
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consume:$LATEST',
};

const failedAtMs = Date.UTC(2019, 10, 14, 18, 16, 5, 568);

describe('failureDocument', () => {
  const document = failureDocument(
    record,
    {
      condition: FailureCondition.RetryAttemptsExhausted,
      lastInvocation: { requestId: 'req-3', invokeCount: 3, functionError: 'Unhandled' },
      failedAtMs,
    },
    mapping,
    () => 'fresh-id',
  );

  it('has exactly the documented fields, each of the documented type, at every level', () => {
    expect(shapeOf(document)).toEqual(shapeOf(documented));
  });

  it('fills each field from the failure and the record', () => {
    expect(document.requestContext).toEqual({
      requestId: 'req-3',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consume:$LATEST',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(document.responseContext).toEqual(documented.responseContext);
    expect(document.version).toBe('1.0');
    expect(document.timestamp).toBe('2019-11-14T18:16:05.568Z');
    expect(document.KafkaBatchInfo.batchSize).toBe(1);
    expect(document.KafkaBatchInfo.recordInfo).toEqual({ offset: '100', timestamp: '2025-06-05T09:44:52.330Z' });
    expect(document.KafkaBatchInfo.bootstrapServers).toBe('127.0.0.1:19092');
    expect(document.KafkaBatchInfo.eventSourceArn).toBe(document.payload?.eventSourceArn);
    expect(document.KafkaBatchInfo.payloadSize).toBe(Buffer.byteLength(JSON.stringify(document.payload)));
  });

  it("carries the record in the payload exactly as the documented example's", () => {
    expect(document.payload?.eventSource).toBe('aws:kafka');
    expect(document.payload?.records).toEqual(documented.payload.records);
  });

  it('leaves functionError out when the function answered (a reported record)', () => {
    const reported = failureDocument(
      record,
      { condition: FailureCondition.RetryAttemptsExhausted, lastInvocation: { requestId: 'r', invokeCount: 4 }, failedAtMs },
      mapping,
      () => 'x',
    );
    expect(reported.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
  });

  it('has no response and a request id of its own for a record never invoked', () => {
    const expired = failureDocument(record, { condition: FailureCondition.RecordAgeExceeded, failedAtMs }, mapping, () => 'fresh-id');
    expect(expired.responseContext).toBeNull();
    expect(expired.requestContext).toMatchObject({ requestId: 'fresh-id', condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
  });
});

describe('failureMessage', () => {
  it("keys the message with the record's key and adds the reason as a header", () => {
    const message = failureMessage(
      record,
      { condition: FailureCondition.RetryAttemptsExhausted, lastInvocation: { requestId: 'r', invokeCount: 2 }, reason: 'not JSON', failedAtMs },
      mapping,
      () => 'x',
    );
    expect(message.key?.toString()).toBe('test-key');
    expect(message.partition).toBeUndefined();
    expect(message.headers.map(({ name, value }) => [name, value?.toString()])).toEqual([['x-failure-reason', 'not JSON']]);
    expect(JSON.parse(message.value?.toString() ?? '')).toMatchObject({ requestContext: { approximateInvokeCount: 2 } });
  });

  it('writes no reason header when there is no reason, and keeps a null key null', () => {
    const message = failureMessage({ ...record, key: null }, { condition: FailureCondition.RecordAgeExceeded, failedAtMs }, mapping, () => 'x');
    expect(message.key).toBeNull();
    expect(message.headers).toEqual([]);
  });
});

describe('failureMessage of a record too big for the destination', () => {
  it('leaves the payload out and keeps the rest of the document', () => {
    const big = { ...record, value: Buffer.alloc(900_000, 0x61) };
    const message = failureMessage(big, { condition: FailureCondition.MaximumPayloadSizeExceeded, failedAtMs }, mapping, () => 'x');
    const document = JSON.parse(message.value?.toString() ?? '');
    expect(document.payload).toBeUndefined();
    expect(document.requestContext.condition).toBe('MaximumPayloadSizeExceeded');
    expect(document.KafkaBatchInfo.recordInfo.offset).toBe('100');
    expect(document.KafkaBatchInfo.payloadSize).toBeGreaterThan(1_200_000);
    expect(message.value?.length).toBeLessThan(2_000);
  });
});

describe('readFailureMessage', () => {
  it('reads back the document, the reason and the record with its key, value and headers', () => {
    const withHeaders = { ...record, headers: [{ name: 'message-id', value: Buffer.from('m-ë') }] };
    const message = failureMessage(
      withHeaders,
      { condition: FailureCondition.RetryAttemptsExhausted, lastInvocation: { requestId: 'r', invokeCount: 2 }, reason: 'not JSON', failedAtMs },
      mapping,
      () => 'x',
    );
    const read = readFailureMessage(message.value, message.headers);
    expect(read.reason).toBe('not JSON');
    expect(read.document.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(read.record).toMatchObject({ topic: 'my-topic', partition: 0, offset: 100, timestampMs: 1_749_116_692_330 });
    expect(read.record?.key?.toString()).toBe('test-key');
    expect(read.record?.value?.toString()).toBe('test-value');
    expect(read.record?.headers.map(({ name, value }) => [name, value?.toString()])).toEqual([['message-id', 'm-ë']]);
  });

  it("reads the documented example (Lambda's own) too", () => {
    const read = readFailureMessage(Buffer.from(JSON.stringify(documented)), []);
    expect(read.reason).toBeUndefined();
    expect(read.record).toMatchObject({ topic: 'my-topic', partition: 0, offset: 100 });
  });

  it.each([
    ['not JSON', Buffer.from('poison'), /not JSON/],
    ['JSON of another shape', Buffer.from('{"a":1}'), /not a failure document/],
    ['a payload that is no Kafka event', Buffer.from(JSON.stringify({ ...documented, payload: { records: {} } })), /payload is not a Kafka event/],
  ])('refuses %s', (_name, value, message) => {
    expect(() => readFailureMessage(value, [])).toThrow(FailureRecordError);
    expect(() => readFailureMessage(value, [])).toThrow(message);
  });
});
