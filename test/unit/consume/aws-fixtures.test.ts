/**
 * The decoder over events exactly as the Kafka event source mapping delivers them (JSON files
 * in test/fixtures/aws-kafka-events): the Lambda developer guide's samples, and the shapes the
 * guide describes but does not sample (signed header bytes, absent key or value,
 * LOG_APPEND_TIME, schema registry metadata), and a null header value as reported from AWS. Expected values are written out by hand.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent, type ConsumedRecord } from '../../../lib/consume/event';

const DIR = new URL('../../fixtures/aws-kafka-events/', import.meta.url);

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as unknown;
}

/** A record in comparable form: bytes as hex, so every byte is checked. */
function plain(record: ConsumedRecord): Record<string, unknown> {
  return {
    ...record,
    key: record.key?.toString('hex') ?? null,
    value: record.value?.toString('hex') ?? null,
    headers: record.headers.map(({ name, value }) => [name, value?.toString('hex') ?? null]),
  };
}

function decodedRecords(name: string): Record<string, unknown>[] {
  const decoded = decodeKafkaEvent(fixture(name));
  return decoded.partitions.flatMap((partition) =>
    partition.entries.map((entry) => {
      if (!('record' in entry)) throw new Error(`${name}: malformed ${entry.malformed.error.message}`);
      return plain(entry.record);
    }),
  );
}

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

const expected: Record<string, { eventSource: string; records: Record<string, unknown>[] }> = {
  'msk-docs-sample.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestampMs: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: '69b70310582188928b9a7a0f411b2db95597cb3d76df',
        value: hex('Hello, this is a test.'),
        headers: [['headerKey', hex('headerValue')]],
      },
    ],
  },
  'self-managed-docs-sample.json': {
    eventSource: 'SelfManagedKafka',
    records: [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestampMs: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: hex('recordKey'),
        value: hex('{"key":"value"}'),
        headers: [['headerKey', hex('headerValue')]],
      },
    ],
  },
  'non-ascii-headers.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'events',
        partition: 3,
        offset: 120,
        timestampMs: 1767225600000,
        timestampType: 'CREATE_TIME',
        key: hex('"user-1"'),
        value: hex('{"amount":5}'),
        headers: [
          // "hello-ë": ë is UTF-8 C3 AB, sent as -61, -85.
          ['test-header', '68656c6c6f2dc3ab'],
          // "commande-été-42": é is C3 A9, sent as -61, -87.
          ['message-id', '636f6d6d616e64652dc3a974c3a92d3432'],
          ['x-caller-id', hex('caller-1')],
        ],
      },
    ],
  },
  'binary-headers.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'events',
        partition: 0,
        offset: 7,
        timestampMs: 1767225600001,
        timestampType: 'CREATE_TIME',
        key: null,
        value: hex('{"n":7}'),
        // 0, -1, -128, 127, 1, -2 are the bytes 00 ff 80 7f 01 fe; a repeated name stays in order.
        headers: [
          ['trace', '00ff807f01fe'],
          ['empty', ''],
          ['trace', 'aa55'],
        ],
      },
    ],
  },
  // A header with Kafka's null value, as one report shows Lambda delivering it (https://github.com/Nike-Inc/hal/pull/144):
  // an empty object in its place, the name left out with the value. There is no name to keep it under.
  'null-header-value.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'events',
        partition: 0,
        offset: 52,
        timestampMs: 1767225600005,
        timestampType: 'CREATE_TIME',
        key: hex('order-52'),
        value: hex('{"n":52}'),
        headers: [
          ['traceparent', hex('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')],
          ['baggage', hex('sentry-sampled=true')],
        ],
      },
    ],
  },
  'null-key.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'events',
        partition: 1,
        offset: 40,
        timestampMs: 1767225600002,
        timestampType: 'CREATE_TIME',
        key: null,
        value: hex('{"keyless":true}'),
        headers: [],
      },
    ],
  },
  'tombstone.json': {
    eventSource: 'SelfManagedKafka',
    records: [
      { topic: 'compacted', partition: 2, offset: 9, timestampMs: 1767225600003, timestampType: 'CREATE_TIME', key: hex('user-1'), value: null, headers: [] },
      { topic: 'compacted', partition: 2, offset: 10, timestampMs: 1767225600004, timestampType: 'CREATE_TIME', key: hex('user-2'), value: null, headers: [] },
    ],
  },
  'log-append-time.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'events',
        partition: 0,
        offset: 300,
        timestampMs: 1767225601000,
        timestampType: 'LOG_APPEND_TIME',
        key: hex('k'),
        value: hex('"v"'),
        headers: [],
      },
    ],
  },
  'schema-metadata.json': {
    eventSource: 'aws:kafka',
    records: [
      {
        topic: 'orders-avro',
        partition: 0,
        offset: 1,
        timestampMs: 1767225602000,
        timestampType: 'CREATE_TIME',
        key: hex('order-1'),
        value: hex('{"orderId":"order-1","total":12.5}'),
        headers: [],
        keySchemaMetadata: { dataFormat: 'JSON', schemaId: 'f2b1a4e0-1c9d-4b52-9a6e-0d3f6c1e8a11' },
        valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: 'a1b2c3d4-5678-90ab-cdef-1234567890ab' },
      },
    ],
  },
};

describe('AWS-shaped Kafka events', () => {
  it('has an expectation for every fixture file', () => {
    expect(
      readdirSync(DIR)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('decodes %s', (name, { eventSource, records }) => {
    expect(decodeKafkaEvent(fixture(name)).eventSource).toBe(eventSource);
    expect(decodedRecords(name)).toEqual(records);
  });
});
