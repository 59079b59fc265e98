/** The record names Confluent's RecordNameStrategy and TopicRecordNameStrategy take subjects from. */
import { describe, expect, it } from 'vitest';
import { SchemaParseFailure } from '../../../lib/schema/codec';
import { recordNameOf } from '../../../lib/schema/record-name';

describe('recordNameOf', () => {
  it.each([
    ['an Avro record with a namespace', '{"type":"record","name":"Order","namespace":"shop.orders","fields":[]}', 'shop.orders.Order'],
    ['an Avro record whose name is already full', '{"type":"record","name":"a.b.Order","namespace":"ignored","fields":[]}', 'a.b.Order'],
    ['an Avro enum without a namespace', '{"type":"enum","name":"Colour","symbols":["RED"]}', 'Colour'],
    ['an Avro primitive', '"string"', 'string'],
    ['an Avro primitive written as an object', '{"type":"long"}', 'long'],
    ['an Avro union', '["null","string"]', 'union'],
  ])('names %s', async (_, schema, name) => {
    expect(await recordNameOf('AVRO', schema)).toBe(name);
  });

  it('names a JSON Schema by its title, and none without one', async () => {
    expect(await recordNameOf('JSON', '{"title":"Order","type":"object"}')).toBe('Order');
    expect(await recordNameOf('JSON', '{"type":"object"}')).toBeUndefined();
  });

  it("names a Protobuf schema by its first message's full name", async () => {
    expect(await recordNameOf('PROTOBUF', 'syntax = "proto3";\npackage shop.v1;\nmessage Order { string id = 1; }\nmessage Line { int32 n = 1; }\n')).toBe(
      'shop.v1.Order',
    );
    expect(await recordNameOf('PROTOBUF', 'syntax = "proto3";\nmessage Order { string id = 1; }\n')).toBe('Order');
  });

  it.each([
    ['AVRO', '{"type":"record","fields":[]}'],
    ['AVRO', '{not json'],
    ['JSON', '{not json'],
    ['PROTOBUF', 'syntax = "proto3";\nenum E { A = 0; }\n'],
    ['PROTOBUF', 'message {'],
  ] as const)('refuses a %s schema it cannot name: %s', async (format, schema) => {
    await expect(recordNameOf(format, schema)).rejects.toBeInstanceOf(SchemaParseFailure);
  });
});
