import { describe, expect, it } from 'vitest';
import { SchemaDataInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../../lib/errors';
import type { DecodedData } from '../../../../lib/schema/schemas';
import {
  parseSchemaRegistrySettings,
  SchemaRegistrySettingsError,
  schemaDeliveryOf,
  withSchemaMetadata,
  type FramedDecoder,
} from '../../../../local/emulator/schema-registry';
import type { FetchedRecord } from '../../../../local/kafka/consumer';

const FRAMED_VALUE = Buffer.from([0, 0, 0, 0, 7, 0x06]);

function record(key: Buffer | null, value: Buffer | null): FetchedRecord {
  return { topic: 'orders', partition: 1, offset: '5', timestampMs: 1_795_737_600_000, key, value, headers: [] };
}

/** Decodes id 7 as Avro `3`; refuses id 8's bytes; knows no other id. */
const decoder: FramedDecoder = {
  async decode(bytes): Promise<DecodedData | undefined> {
    if (bytes[0] !== 0) return undefined;
    if (bytes[4] === 7) return { format: 'AVRO', schemaId: '7', value: 3 };
    if (bytes[4] === 8) throw new SchemaDataInvalidError('Avro schema 8: the bytes are not Avro of this schema');
    throw new SchemaNotFoundError(`schema id ${bytes[4]} is not registered`);
  },
};

describe('schemaDeliveryOf', () => {
  it('delivers a validated value without its framing in SOURCE format, with its metadata', async () => {
    expect(await schemaDeliveryOf(record(Buffer.from('k'), FRAMED_VALUE), { eventRecordFormat: 'SOURCE', schemaValidation: ['VALUE'] }, decoder)).toEqual({
      deliver: { record: record(Buffer.from('k'), Buffer.from([0x06])), valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '7' } },
    });
  });

  it('delivers the decoded value as JSON text in JSON format', async () => {
    expect(await schemaDeliveryOf(record(null, FRAMED_VALUE), { eventRecordFormat: 'JSON', schemaValidation: ['VALUE'] }, decoder)).toEqual({
      deliver: { record: record(null, Buffer.from('3')), valueSchemaMetadata: { dataFormat: 'JSON', schemaId: '7' } },
    });
  });

  it.each([
    ['a plain value', Buffer.from('{"a":1}'), 'SCHEMA_NOT_FOUND', 'value: no schema registry framing'],
    ['an unknown schema id', Buffer.from([0, 0, 0, 0, 9, 1]), 'SCHEMA_NOT_FOUND', 'value: schema id 9 is not registered'],
    ['bytes that do not decode', Buffer.from([0, 0, 0, 0, 8, 1]), 'DESERIALIZATION_ERROR', 'value: Avro schema 8: the bytes are not Avro of this schema'],
  ])('refuses %s', async (_, value, reject, detail) => {
    expect(await schemaDeliveryOf(record(null, value), { eventRecordFormat: 'SOURCE', schemaValidation: ['VALUE'] }, decoder)).toEqual({ reject, detail });
  });

  it('leaves attributes it does not validate as they are, and passes a tombstone', async () => {
    const plainKey = record(Buffer.from('k'), FRAMED_VALUE);
    expect(await schemaDeliveryOf(plainKey, { eventRecordFormat: 'SOURCE', schemaValidation: [] }, decoder)).toEqual({ deliver: { record: plainKey } });
    expect(await schemaDeliveryOf(record(null, null), { eventRecordFormat: 'SOURCE', schemaValidation: ['VALUE'] }, decoder)).toEqual({
      deliver: { record: record(null, null) },
    });
    expect(await schemaDeliveryOf(plainKey, { eventRecordFormat: 'SOURCE', schemaValidation: ['KEY'] }, decoder)).toEqual({
      reject: 'SCHEMA_NOT_FOUND',
      detail: 'key: no schema registry framing',
    });
  });

  it('throws a registry that cannot be reached, so the batch is tried again', async () => {
    const down: FramedDecoder = { decode: async () => Promise.reject(new SchemaRegistryUnavailableError()) };
    await expect(schemaDeliveryOf(record(null, FRAMED_VALUE), { eventRecordFormat: 'SOURCE', schemaValidation: ['VALUE'] }, down)).rejects.toBeInstanceOf(
      SchemaRegistryUnavailableError,
    );
  });
});

describe('withSchemaMetadata', () => {
  it('adds the metadata to the event record at the same position', () => {
    const event = {
      records: {
        'orders-1': [
          { partition: 1, offset: 5 },
          { partition: 1, offset: 6 },
        ],
      },
    };
    const delivered = [{ record: record(null, null), valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '7' } }];
    expect(withSchemaMetadata(event, delivered).records['orders-1']).toEqual([
      { partition: 1, offset: 5, valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '7' } },
      { partition: 1, offset: 6 },
    ]);
  });
});

describe('parseSchemaRegistrySettings', () => {
  it('reads the block, with SOURCE and no validation by default', () => {
    expect(parseSchemaRegistrySettings(undefined)).toBeUndefined();
    expect(parseSchemaRegistrySettings({})).toEqual({ eventRecordFormat: 'SOURCE', schemaValidation: [] });
    expect(parseSchemaRegistrySettings({ eventRecordFormat: 'JSON', schemaValidation: ['VALUE', 'KEY', 'VALUE'] })).toEqual({
      eventRecordFormat: 'JSON',
      schemaValidation: ['VALUE', 'KEY'],
    });
  });

  it('refuses what Lambda would not take', () => {
    expect(() => parseSchemaRegistrySettings({ eventRecordFormat: 'AVRO' })).toThrow(SchemaRegistrySettingsError);
    expect(() => parseSchemaRegistrySettings({ schemaValidation: ['HEADERS'] })).toThrow('must list KEY and VALUE only');
  });
});
