/**
 * Decoding each record's schema'd key and value, on events of the shapes Lambda delivers with a schema registry
 * (fixtures under test/fixtures/aws-kafka-events/schema-registry), each decoded value written
 * out by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SchemaRegistryUnavailableError } from '../../../lib/errors';
import { decodeKafkaEvent, type ConsumedRecord, type DecodedEvent, type PartitionEntry } from '../../../lib/consume/event';
import { SCHEMA_REGISTRY_UNAVAILABLE } from '../../../lib/consume/failure-reason';
import { createPatience, type Patience } from '../../../lib/consume/patience';
import { decodeRecord, decoderUntil, type DecodeStepResult, type RecordDecoder } from '../../../lib/consume/schema-decoding';
import { createGlueSchemaSource } from '../../../lib/schema/glue-registry';
import { Schemas } from '../../../lib/schema/schemas';
import { FakeClock } from '../../helpers/fake-clock';
import { memoryRegistry } from '../../helpers/memory-registry';

const ORDER_AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'long' },
    { name: 'note', type: ['null', 'string'] },
    { name: 'raw', type: 'bytes' },
  ],
});
const ORDER_PROTO = 'syntax = "proto3"; package shop; message Order { string id = 1; int64 total = 2; }';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/aws-kafka-events/schema-registry/${name}`, import.meta.url), 'utf8'));
}

const GLUE_VERSION = 'a1b2c3d4-5678-90ab-cdef-1234567890ab';

function schemas(): Schemas {
  const registry = memoryRegistry();
  registry.put(17, 'AVRO', ORDER_AVRO);
  registry.put(18, 'PROTOBUF', ORDER_PROTO);
  const glue = createGlueSchemaSource('us-east-1', async (id) => {
    if (id !== GLUE_VERSION) throw Object.assign(new Error('not found'), { name: 'EntityNotFoundException' });
    return { dataFormat: 'AVRO', definition: ORDER_AVRO };
  });
  return new Schemas(registry, glue);
}

const noWaiting = createPatience(new FakeClock(0), undefined, async () => undefined);

/** Each entry of `event` through the decode step, in order: a record's result, or the malformed entry as it was. */
async function decodeEach(event: DecodedEvent, decoder: RecordDecoder, patience: Patience): Promise<(DecodeStepResult | PartitionEntry)[]> {
  const results: (DecodeStepResult | PartitionEntry)[] = [];
  for (const entry of event.partitions.flatMap((partition) => partition.entries)) {
    results.push('record' in entry ? await decodeRecord(entry.record, decoder, patience, async () => true) : entry);
  }
  return results;
}

async function decodedEntries(name: string): Promise<(DecodeStepResult | PartitionEntry)[]> {
  return decodeEach(decodeKafkaEvent(fixture(name)), schemas(), noWaiting);
}

function recordOf(result: DecodeStepResult | PartitionEntry | undefined): ConsumedRecord {
  if (result === undefined || !('kind' in result) || result.kind !== 'decoded') throw new Error(`expected a decoded record, got ${JSON.stringify(result)}`);
  return result.record;
}

describe('decodeRecord on Lambda events with a schema registry', () => {
  it('decodes an Avro value delivered in SOURCE format by its metadata, the long kept digit for digit', async () => {
    const [entry] = await decodedEntries('confluent-avro-source.json');
    const record = recordOf(entry);
    expect(record.decodedValue?.format).toBe('AVRO');
    expect(record.decodedValue?.schemaId).toBe('17');
    expect(JSON.stringify(record.decodedValue?.value)).toBe('{"id":"o1","total":9007199254740993,"note":{"string":"hi"},"raw":"ÿ"}');
    // A key without metadata keeps its bytes only.
    expect(record.decodedKey).toBeUndefined();
    expect(record.key?.toString()).toBe('order-1');
  });

  it('decodes a Protobuf value delivered without framing, 64-bit integers as strings', async () => {
    const [entry] = await decodedEntries('confluent-protobuf-source.json');
    expect(recordOf(entry).decodedValue).toEqual({ format: 'PROTOBUF', schemaId: '18', value: { id: 'p1', total: '9007199254740993' } });
  });

  it('reads the JSON record format as JSON text, keeping every digit', async () => {
    const [entry] = await decodedEntries('confluent-json-format.json');
    const record = recordOf(entry);
    expect(record.decodedKey).toEqual({ format: 'JSON', schemaId: '16', value: 'order-1' });
    expect(record.decodedValue?.schemaId).toBe('17');
    expect(JSON.stringify(record.decodedValue?.value)).toBe('{"id":"o1","total":9007199254740993,"note":"hi"}');
  });

  it('decodes Confluent framing delivered as is, and fails each record that does not decode on its own, naming format and schema id', async () => {
    const [good, unknownId, truncated] = await decodedEntries('confluent-framed-no-integration.json');
    expect(recordOf(good).decodedValue?.schemaId).toBe('17');
    expect(unknownId).toMatchObject({ kind: 'failed', failure: { reason: 'not decodable with its schema: value: schema id 99 is not registered' } });
    expect(truncated).toMatchObject({ kind: 'failed' });
    expect((truncated as { failure: { reason: string } }).failure.reason).toMatch(
      /^not decodable with its schema: value: Avro schema 17: the bytes are not Avro of this schema/,
    );
  });

  it('decodes an Avro value delivered in SOURCE format with a Glue schema version id', async () => {
    const [entry] = await decodedEntries('glue-avro-source.json');
    expect(recordOf(entry).decodedValue?.schemaId).toBe(GLUE_VERSION);
    expect(JSON.stringify(recordOf(entry).decodedValue?.value)).toBe('{"id":"o1","total":9007199254740993,"note":{"string":"hi"},"raw":"ÿ"}');
  });

  it('decodes Glue framing delivered as is, uncompressed and zlib-compressed', async () => {
    const entries = await decodedEntries('glue-framed-no-integration.json');
    expect(entries.map((entry) => recordOf(entry).decodedValue?.value)).toEqual([
      { id: 'o1', total: expect.anything(), note: { string: 'hi' }, raw: 'ÿ' },
      { id: 'o1', total: expect.anything(), note: { string: 'hi' }, raw: 'ÿ' },
    ]);
    expect(entries.map((entry) => recordOf(entry).decodedValue?.format)).toEqual(['AVRO', 'AVRO']);
  });

  it('leaves plain JSON records as they are', async () => {
    const event = decodeKafkaEvent(JSON.parse(readFileSync(new URL('../../fixtures/aws-kafka-events/msk-docs-sample.json', import.meta.url), 'utf8')));
    const decoded = await decodeEach(event, schemas(), noWaiting);
    expect(decoded).toEqual(event.partitions.flatMap((partition) => partition.entries.map((entry) => ({ kind: 'decoded', ...entry }))));
  });
});

describe('decodeRecord with a registry that cannot be reached', () => {
  const event = () => decodeKafkaEvent(fixture('confluent-avro-source.json'));

  /** The real decoder, but the first `outages` records with a schema (named by the metadata) meet a registry outage; a plain key only informs. */
  const flakyDecoder = (outages: number): RecordDecoder => {
    let left = outages;
    const real = schemas();
    return {
      decode: async (bytes, metadata) => {
        if (metadata !== undefined && left > 0) {
          left -= 1;
          throw new SchemaRegistryUnavailableError();
        }
        return real.decode(bytes, metadata);
      },
    };
  };

  it('waits it out while the invocation may wait', async () => {
    const clock = new FakeClock(0);
    const flaky = flakyDecoder(2);
    const patience = createPatience(clock, 10_000, async (ms) => {
      clock.nowValueMs += ms;
    });
    let handedBack = 0;
    const [entry] = (event().partitions[0]?.entries ?? []) as { record: ConsumedRecord }[];
    const result = await decodeRecord((entry as { record: ConsumedRecord }).record, flaky, patience, async () => {
      handedBack += 1;
      return true;
    });
    expect(recordOf(result).decodedValue?.schemaId).toBe('17');
    expect(clock.nowMs()).toBe(300);
    // Before each of the two pauses, the worker's records before this one were handed on.
    expect(handedBack).toBe(2);
  });

  it('fails the records as unavailable (retriable) once it may wait no longer', async () => {
    const down: RecordDecoder = { decode: async () => Promise.reject(new SchemaRegistryUnavailableError()) };
    const [entry] = await decodeEach(event(), down, noWaiting);
    expect(entry).toMatchObject({ kind: 'failed', failure: { reason: SCHEMA_REGISTRY_UNAVAILABLE } });
    expect((entry as { failure: { error: { retriable: boolean } } }).failure.error.retriable).toBe(true);
  });

  it('makes the next pause short again once the registry answers after a wait, and only then', async () => {
    const told: string[] = [];
    const patience: Patience = {
      pause: async () => {
        told.push('pause');
        return true;
      },
      reset: () => told.push('reset'),
    };
    const flaky = flakyDecoder(1);
    const [entry] = (event().partitions[0]?.entries ?? []) as { record: ConsumedRecord }[];
    const record = (entry as { record: ConsumedRecord }).record;
    await decodeRecord(record, flaky, patience, async () => true);
    expect(told).toEqual(['pause', 'reset']);
    await decodeRecord(record, flaky, patience, async () => true);
    expect(told).toEqual(['pause', 'reset']);
  });

  it('gives up without a pause when the hand-back says the partition stopped earlier', async () => {
    let pauses = 0;
    const patience: Patience = {
      pause: async () => {
        pauses += 1;
        return true;
      },
      reset: () => undefined,
    };
    const down: RecordDecoder = { decode: async () => Promise.reject(new SchemaRegistryUnavailableError()) };
    const [entry] = (event().partitions[0]?.entries ?? []) as { record: ConsumedRecord }[];
    expect(await decodeRecord((entry as { record: ConsumedRecord }).record, down, patience, async () => false)).toEqual({ kind: 'given-up' });
    expect(pauses).toBe(0);
  });
});

describe('decodeRecord, side by side', () => {
  const event = (key: number[] | null, value: number[] | null) =>
    decodeKafkaEvent({
      eventSource: 'aws:kafka',
      records: {
        't-0': [
          {
            topic: 't',
            partition: 0,
            offset: 3,
            timestamp: 1,
            timestampType: 'CREATE_TIME',
            ...(key === null ? {} : { key: Buffer.from(key).toString('base64') }),
            ...(value === null ? {} : { value: Buffer.from(value).toString('base64') }),
            headers: [],
          },
        ],
      },
    });
  // Avro "k" and the long 3, framed with ids 1 and 2.
  const decoder = (): Schemas => {
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"');
    registry.put(2, 'AVRO', '"long"');
    return new Schemas(registry);
  };
  const entryOf = async (key: number[] | null, value: number[] | null) => (await decodeEach(event(key, value), decoder(), noWaiting))[0];

  it('decodes a framed key alone, leaving a plain value and a tombstone as they are', async () => {
    const withPlain = recordOf(await entryOf([0, 0, 0, 0, 1, 0x02, 0x6b], [0x7b, 0x7d]));
    expect(withPlain.decodedKey).toEqual({ format: 'AVRO', schemaId: '1', value: 'k' });
    expect('decodedValue' in withPlain).toBe(false);
    const tombstone = recordOf(await entryOf([0, 0, 0, 0, 1, 0x02, 0x6b], null));
    expect(tombstone.value).toBeNull();
    expect('decodedValue' in tombstone).toBe(false);
  });

  it('decodes a framed value alone', async () => {
    const record = recordOf(await entryOf(null, [0, 0, 0, 0, 2, 0x06]));
    expect(record.decodedValue).toEqual({ format: 'AVRO', schemaId: '2', value: 3 });
    expect('decodedKey' in record).toBe(false);
  });

  it('leaves a key that only looks framed as bytes, and goes on with the record (no metadata names its schema)', async () => {
    // An unknown id, and keys written by Kafka's LongSerializer (8) and IntegerSerializer (4) with small values.
    for (const key of [
      [0, 0, 0, 0, 7, 0x02],
      [0, 0, 0, 0, 0, 0, 0, 5],
      [0, 0, 0, 5],
    ]) {
      const record = recordOf(await entryOf(key, [0, 0, 0, 0, 2, 0x06]));
      expect([...(record.key as Buffer)]).toEqual(key);
      expect('decodedKey' in record).toBe(false);
      expect(record.decodedValue).toEqual({ format: 'AVRO', schemaId: '2', value: 3 });
    }
  });

  it('keeps a malformed entry malformed', async () => {
    const malformed = decodeKafkaEvent({
      eventSource: 'aws:kafka',
      records: { 't-0': [{ topic: 't', partition: 0, offset: 1, timestamp: 'x', timestampType: 'CREATE_TIME' }] },
    });
    expect(await decodeEach(malformed, decoder(), noWaiting)).toEqual(malformed.partitions[0]?.entries);
  });
});

describe('decoderUntil', () => {
  const decoded = { format: 'AVRO' as const, schemaId: '5', value: { n: 1 } };

  it('fails a try still unanswered at the deadline as the registry unavailable', async () => {
    const clock = new FakeClock();
    const hanging: RecordDecoder = { decode: () => new Promise<never>(() => undefined) };
    // 20 ms before the deadline: the try ends then, not at SCHEMA_REGISTRY_TIMEOUT_MS.
    const bounded = decoderUntil(hanging, clock, clock.nowMs() + 20);
    await expect(bounded.decode(Buffer.from([0]))).rejects.toThrow(SchemaRegistryUnavailableError);
  });

  it('passes on what an answer in time decodes, and its errors, even from a cache past the deadline', async () => {
    const clock = new FakeClock();
    const bounded = decoderUntil({ decode: async (bytes) => (bytes[0] === 0 ? decoded : undefined) }, clock, clock.nowMs() - 1);
    expect(await bounded.decode(Buffer.from([0]))).toEqual(decoded);
    expect(await bounded.decode(Buffer.from([7]))).toBeUndefined();
    const refused = new Error('not Avro of this schema');
    const failing = decoderUntil({ decode: () => Promise.reject(refused) }, clock, clock.nowMs() + 1_000);
    await expect(failing.decode(Buffer.from([0]))).rejects.toBe(refused);
  });
});
