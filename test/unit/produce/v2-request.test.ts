/** The v2 partition route: the path's partition, and records that name one themselves. */
import { describe, expect, it } from 'vitest';
import { PartitionNotFoundError, ValidationError } from '../../../lib/errors';
import { loadConfig } from '../../../lib/config';
import { Operation, type HttpRequest } from '../../../lib/produce/route';
import { partitionOfPath, readV2TopicRequest, toPartition } from '../../../lib/produce/v2-request';
import type { ProduceRecord } from '../../../lib/produce/validation';

describe('partitionOfPath', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['2147483647', 2_147_483_647],
  ])('%j is partition %d', (segment, partition) => {
    expect(partitionOfPath(segment)).toBe(partition);
  });

  it.each(['', '-1', '01', '1.0', '1e2', ' 1', 'one', '2147483648', '99999999999'])('%j is no partition: 404 40402', (segment) => {
    expect(() => partitionOfPath(segment)).toThrow(new PartitionNotFoundError(`partition "${segment}" does not exist`));
  });
});

describe('toPartition', () => {
  const record = (partition?: number): ProduceRecord => ({
    key: null,
    value: Buffer.from('1'),
    headers: [],
    ...(partition === undefined ? {} : { partition }),
  });

  it("sends every record to the path's partition, a record naming the same one included", () => {
    expect(toPartition([record(), record(2)], 2).map((entry) => entry.partition)).toEqual([2, 2]);
  });

  it('refuses a record naming another partition, naming it', () => {
    expect(() => toPartition([record(), record(1), record(0)], 2)).toThrow(
      new ValidationError('records[1].partition: 1 differs from the partition of the path, 2'),
    );
  });
});

describe('readV2TopicRequest', () => {
  const request = (contentType: string): HttpRequest => ({
    route: { method: 'POST', path: '/topics/{topic}', operation: Operation.ProduceToTopic, api: 'v2' },
    params: { topic: 'orders' },
    contentType,
    idempotencyKey: undefined,
    body: Buffer.from('{"records":[{"value":{"n":1}}]}'),
    authorizer: undefined,
    baseUrl: 'https://api.example.com',
  });
  const limits = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*' }).produce;

  it('refuses to encode records it has not read, rather than pass them on unencoded', async () => {
    const command = readV2TopicRequest(request('application/vnd.kafka.avro.v2+json'), limits);
    await expect(command.encode?.([], new AbortController().signal)).rejects.toThrow('the v2 records were encoded before they were read');
  });

  it('passes the records of a format without a schema through the encoding step unchanged', async () => {
    const command = readV2TopicRequest(request('application/vnd.kafka.json.v2+json'), limits);
    const records = await command.read();
    expect(await command.encode?.(records, new AbortController().signal)).toBe(records);
  });
});
