/**
 * v3 records with schema'd keys and values, read as the route reads them (over a registry in
 * memory) and answered by the records and batch writers; and the plain types' edges around them.
 */
import { describe, expect, it } from 'vitest';
import { InternalError, SchemaArgumentsError, ValidationError, type AppError } from '../../../lib/errors';
import type { ProduceCommand, RecordOutcome, RecordSlot } from '../../../lib/produce/command';
import { readHttpRequest } from '../../../lib/produce/route';
import { readV3BatchRequest, readV3RecordsRequest, type V3ReadContext } from '../../../lib/produce/v3-request';
import type { ProduceRecord } from '../../../lib/produce/validation';
import { Schemas } from '../../../lib/schema/schemas';
import { httpEvent } from '../../helpers/http-events';
import { memoryRegistry } from '../../helpers/memory-registry';

function contextWith(schemas: Schemas | undefined): V3ReadContext {
  return {
    limits: { maxRecordsPerRequest: 10, maxRequestBytes: 10_000 },
    clusterId: async () => 'c-1',
    nowMs: () => 1_612_552_482_000,
    ...(schemas === undefined ? {} : { schemas: async () => schemas }),
  };
}

function registryWithSchemas(): Schemas {
  const registry = memoryRegistry();
  registry.put(1, 'AVRO', '"string"', 'orders-key');
  registry.put(2, 'JSON', '{"type":"integer"}', 'orders-value');
  return new Schemas(registry);
}

const event = (body: string, batch = false) =>
  readHttpRequest(httpEvent({ path: `/v3/clusters/c-1/topics/orders/records${batch ? ':batch' : ''}`, headers: { 'content-type': 'application/json' }, body }));
/** Reads a command's records and encodes them, as the service does (encoding after the claim). */
async function readAndEncode(command: ProduceCommand): Promise<RecordSlot[]> {
  const slots = await command.read();
  return command.encode === undefined ? slots : command.encode(slots, new AbortController().signal);
}

const acked = (slots: readonly RecordSlot[]): RecordOutcome[] =>
  slots.map((slot, index) =>
    slot instanceof Error ? { partition: null, offset: null, error: slot as AppError } : { partition: 0, offset: index, error: null },
  );

describe('v3 records with schemas', () => {
  it("writes a schema'd key beside a plain value, and a plain key beside a schema'd value, reporting each side as it was given", async () => {
    const command = readV3RecordsRequest(
      event(
        '{"key":{"data":"k"},"value":{"type":"STRING","data":"v"}} {"key":{"type":"JSON","data":[1]},"value":{"schema_id":2,"data":5}} {"key":{"schema_version":1,"data":"k2"}}',
      ),
      contextWith(registryWithSchemas()),
    );
    const slots = await readAndEncode(command);
    const [first, second, third] = slots as ProduceRecord[];
    // Avro string "k": length 1 as zig-zag 0x02, then the byte.
    expect(first?.key).toEqual(Buffer.from([0, 0, 0, 0, 1, 0x02, 0x6b]));
    expect(first?.value?.toString()).toBe('v');
    expect(second?.key?.toString()).toBe('[1]');
    expect(second?.value).toEqual(Buffer.from([0, 0, 0, 0, 2, 0x35]));
    expect(third?.value).toBeNull();
    const lines = command.writer.write(slots, acked(slots)).body.split('\r\n');
    expect(lines.slice(0, 3).map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        key: { type: 'AVRO', size: 7, subject: 'orders-key', schema_id: 1, schema_version: 1 },
        value: { type: 'STRING', size: 1 },
      }),
      expect.objectContaining({
        key: { type: 'JSON', size: 3 },
        value: { type: 'JSONSCHEMA', size: 6, subject: 'orders-value', schema_id: 2, schema_version: 1 },
      }),
      expect.objectContaining({ key: { type: 'AVRO', size: 8, subject: 'orders-key', schema_id: 1, schema_version: 1 } }),
    ]);
    expect(JSON.parse(lines[2] as string)).not.toHaveProperty('value');
  });

  it('refuses a record with a schema mix in its own slot, the others still read, and needs no registry for a refusal it can tell at once', async () => {
    const slots = await readAndEncode(
      readV3RecordsRequest(
        event('{"value":{"type":"AVRO","schema_id":1,"data":"x"}} {"value":{"type":"STRING","data":"y"}} {"key":{"nope":1}}'),
        contextWith(undefined),
      ),
    );
    expect(slots[0]).toEqual(new SchemaArgumentsError('value.schema_id: goes with subject or subject_name_strategy only, not with type'));
    expect((slots[1] as ProduceRecord).value?.toString()).toBe('y');
    expect(slots[2]).toEqual(new ValidationError('key.nope: unknown field'));
  });

  it("reads without the registry, leaving a schema'd record refused as not encoded until the encoding step, which asks the registry in record order", async () => {
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"', 'orders-key');
    const command = readV3RecordsRequest(
      event('{"key":{"data":"a"}} {"value":{"type":"STRING","data":"v"}} {"key":{"schema_id":1,"data":"b"}}'),
      contextWith(new Schemas(registry)),
    );
    const slots = await command.read();
    expect(registry.calls).toEqual([]);
    // Fails closed: a schema'd record the encoding step never reached is answered, not sent with a null key.
    expect(slots[0]).toEqual(new InternalError('the record was not encoded with its schema'));
    expect((slots[1] as ProduceRecord).value?.toString()).toBe('v');
    expect(slots[2]).toEqual(new InternalError('the record was not encoded with its schema'));
    const encoded = await (command.encode as NonNullable<ProduceCommand['encode']>)(slots, new AbortController().signal);
    expect(registry.calls).toEqual(['subject orders-key latest', 'under orders-key 1', 'version under orders-key 1']);
    expect((encoded[0] as ProduceRecord).key).toEqual(Buffer.from([0, 0, 0, 0, 1, 0x02, 0x61]));
    expect((encoded[2] as ProduceRecord).key).toEqual(Buffer.from([0, 0, 0, 0, 1, 0x02, 0x62]));
  });

  it("answers a batch with schema'd successes by id", async () => {
    const command = readV3BatchRequest(
      event('{"entries":[{"id":"a","key":{"data":"k"}},{"id":"b","value":{"schema_id":7,"data":1}}]}', true),
      contextWith(registryWithSchemas()),
    );
    const slots = await readAndEncode(command);
    const answer = JSON.parse(command.writer.write(slots, acked(slots)).body);
    expect(answer.successes).toEqual([
      expect.objectContaining({ id: 'a', key: { type: 'AVRO', size: 7, subject: 'orders-key', schema_id: 1, schema_version: 1 } }),
    ]);
    expect(answer.failures).toEqual([{ id: 'b', error_code: 42207, message: 'value.schema_id: schema id 7 is not registered under subject "orders-value"' }]);
  });
});

describe('v3 plain types around the schema members', () => {
  const read = async (value: unknown): Promise<RecordSlot | undefined> =>
    (await readAndEncode(readV3RecordsRequest(event(JSON.stringify({ value })), contextWith(undefined))))[0];

  it.each(['subject', 'subject_name_strategy', 'schema_id', 'schema_version', 'schema'])('refuses %s on a plain type, with data or without', async (member) => {
    expect(await read({ type: 'STRING', data: 'x', [member]: 'y' })).toEqual(new ValidationError(`value.${member}: does not apply to type STRING`));
    expect(await read({ type: 'JSON', [member]: 1 })).toEqual(new ValidationError(`value.${member}: does not apply to type JSON`));
  });

  it('takes a plain type with its schema members null, with data or without', async () => {
    expect(((await read({ type: 'STRING', data: 'x', schema: null, subject: null })) as ProduceRecord).value?.toString()).toBe('x');
    expect(((await read({ type: 'BINARY', schema_id: null })) as ProduceRecord).value).toBeNull();
  });

  it('decodes a STRING with escapes to its UTF-8 bytes, and refuses one that is no string', async () => {
    expect(((await read({ type: 'STRING', data: 'caf\u00e9 "q"' })) as ProduceRecord).value?.toString('utf8')).toBe('café "q"');
    expect(await read({ type: 'STRING', data: 5 })).toEqual(new ValidationError('value.data: must be a string'));
    expect(await read({ type: 'BINARY', data: 5 })).toEqual(new ValidationError('value.data: must be a string'));
    expect(await read({ type: 'XML', data: '<a/>' })).toEqual(
      new ValidationError('value.type: must be one of BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF'),
    );
    expect(await read({ type: 7, data: 1 })).toEqual(new ValidationError('value.type: must be one of BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF'));
    expect(await read('v')).toEqual(new ValidationError('value: must be an object {"type", "data"}'));
  });

  it("reads a type given as null as no type: the subject's latest schema, which needs a registry", async () => {
    expect(await read({ type: null, data: 1 })).toEqual(new ValidationError('value: a value with a schema needs a schema registry, and none is configured'));
  });
});
