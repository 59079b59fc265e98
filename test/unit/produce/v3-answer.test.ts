/** The v3 answers: one ProduceResponse per record followed by CRLF, and the 207 batch answer. */
import { describe, expect, it } from 'vitest';
import { type AppError, BodyNotJsonError, InternalError, RecordsNotAcknowledgedError, ValidationError } from '../../../lib/errors';
import type { RecordOutcome, RecordSlot } from '../../../lib/produce/command';
import { v3BatchWriter, v3RecordsWriter } from '../../../lib/produce/v3-answer';
import type { ProduceRecord } from '../../../lib/produce/validation';

const record = (key: string | null, value: string | null, timestampMs = 1_612_552_482_000): ProduceRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: [],
  timestampMs,
});
const acked = (partition: number, offset: number): RecordOutcome => ({ partition, offset, error: null });
const failed = (error: AppError): RecordOutcome => ({ partition: null, offset: null, error });

describe('v3RecordsWriter', () => {
  it('writes one report per record, each followed by CRLF, the refused and unacknowledged ones with their codes, under the status of the record the broker did not acknowledge', () => {
    const refused = new ValidationError('value.data: must be a base64 string');
    const notAcked = new RecordsNotAcknowledgedError('the broker did not acknowledge partition 1');
    const slots: RecordSlot[] = [
      record('k', '{"a":1}'),
      refused,
      record(null, null),
      record(null, 'x'),
      new BodyNotJsonError('record 4 is not JSON: unexpected end of input at byte 9'),
    ];
    const outcomes: RecordOutcome[] = [acked(0, 41), failed(refused), acked(0, 42), failed(notAcked), failed(slots[4] as AppError)];
    const writer = v3RecordsWriter(() => ({
      clusterId: 'c-1',
      topic: 'orders',
      types: [
        { key: { type: 'STRING' }, value: { type: 'JSON' } },
        { key: undefined, value: undefined },
        { key: undefined, value: { type: 'BINARY' } },
        { key: undefined, value: { type: 'STRING' } },
        { key: undefined, value: undefined },
      ],
    }));
    expect(writer.mediaType).toBe('application/json');
    expect(writer.completeStatus).toBe(200);
    expect(writer.write(slots, outcomes)).toEqual({
      statusCode: 503,
      body:
        '{"error_code":200,"cluster_id":"c-1","topic_name":"orders","partition_id":0,"offset":41,"timestamp":"2021-02-05T19:14:42.000Z","key":{"type":"STRING","size":1},"value":{"type":"JSON","size":7}}\r\n' +
        '{"error_code":42201,"message":"value.data: must be a base64 string"}\r\n' +
        '{"error_code":200,"cluster_id":"c-1","topic_name":"orders","partition_id":0,"offset":42,"timestamp":"2021-02-05T19:14:42.000Z","value":{"type":"BINARY","size":0}}\r\n' +
        '{"error_code":50003,"message":"the broker did not acknowledge partition 1"}\r\n' +
        '{"error_code":40001,"message":"record 4 is not JSON: unexpected end of input at byte 9"}\r\n',
    });
  });
});

describe('v3RecordsWriter status', () => {
  const writer = v3RecordsWriter(() => ({
    clusterId: 'c-1',
    topic: 'orders',
    types: [
      { key: undefined, value: { type: 'STRING' } },
      { key: undefined, value: { type: 'STRING' } },
    ],
  }));

  it('is 200 when every record sent was acknowledged, a refused one only reported', () => {
    const refused = new ValidationError('value.data: must be a string');
    expect(writer.write([record(null, 'x'), refused], [acked(2, 7), failed(refused)]).statusCode).toBe(200);
  });

  it('is 500 when a record sent failed for a reason retrying will not fix', () => {
    const broken = new InternalError('the record could not be produced');
    expect(writer.write([record(null, 'x'), record(null, 'y')], [acked(2, 7), failed(broken)]).statusCode).toBe(500);
  });
});

describe('v3BatchWriter', () => {
  it('answers 207 with successes and failures by entry id, in request order', () => {
    const refused = new ValidationError('value.data: must be a string');
    const writer = v3BatchWriter(() => ({
      clusterId: 'c-1',
      topic: 'orders',
      ids: ['1', '2', '3'],
      types: [
        { key: undefined, value: { type: 'STRING' } },
        { key: undefined, value: undefined },
        { key: { type: 'BINARY' }, value: { type: 'JSON' } },
      ],
    }));
    expect(writer.completeStatus).toBe(207);
    const answer = writer.write([record(null, 'hello'), refused, record('ab', '[1]')], [acked(1, 0), failed(refused), acked(1, 1)]);
    expect(answer.statusCode).toBe(207);
    expect(JSON.parse(answer.body)).toEqual({
      successes: [
        {
          id: '1',
          cluster_id: 'c-1',
          topic_name: 'orders',
          partition_id: 1,
          offset: 0,
          timestamp: '2021-02-05T19:14:42.000Z',
          value: { type: 'STRING', size: 5 },
        },
        {
          id: '3',
          cluster_id: 'c-1',
          topic_name: 'orders',
          partition_id: 1,
          offset: 1,
          timestamp: '2021-02-05T19:14:42.000Z',
          key: { type: 'BINARY', size: 2 },
          value: { type: 'JSON', size: 3 },
        },
      ],
      failures: [{ id: '2', error_code: 42201, message: 'value.data: must be a string' }],
    });
  });
});
