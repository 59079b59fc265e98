/**
 * The request readers of the REST Proxy v2 produce routes: `POST /topics/{topic}` and
 * `POST /topics/{topic}/partitions/{partition}`, both with the v2 envelope
 * `{"records": [...]}` in the JSON, binary or a schema'd (avro, jsonschema, protobuf) embedded
 * format; the schema'd formats' records are encoded after reading, once the Idempotency-Key
 * is claimed (./record-encoder.ts), and the answer carries the schema ids used.
 */
import { PartitionNotFoundError, ValidationError } from '../errors';
import type { ProduceCommand } from './command';
import type { Schemas } from '../schema/schemas';
import { NO_SCHEMA_IDS, v2AnswerWriter, type SchemaIds } from './response';
import type { HttpRequest } from './route';
import {
  embeddedFormatOf,
  isSchemaFormat,
  MAX_PARTITION,
  mediaTypeOf,
  readProduceBody,
  type ProduceLimits,
  type ProduceRecord,
  type SchemaFields,
  type EmbeddedFormat,
} from './validation';

/** The schema'd formats over the configured registry, loaded on the first request in one of them; undefined without a registry. */
export type SchemasLoader = () => Promise<Schemas>;

// The encoder, the registry client and the codecs load with the first schema'd request, once:
// an import() per request, even of a module already loaded, costs a trip through the module loader.
let recordEncoder: Promise<typeof import('./record-encoder')> | undefined;
const loadRecordEncoder = (): Promise<typeof import('./record-encoder')> => {
  recordEncoder ??= import('./record-encoder');
  return recordEncoder;
};

const PARTITION_PARAM = /^(0|[1-9][0-9]{0,9})$/;

/**
 * The partition a path names.
 *
 * @throws {PartitionNotFoundError} when the segment is not a partition number (Kafka has no such partition).
 */
export function partitionOfPath(segment: string): number {
  const partition = PARTITION_PARAM.test(segment) ? Number(segment) : Number.NaN;
  if (!(partition <= MAX_PARTITION)) throw new PartitionNotFoundError(`partition "${segment}" does not exist`);
  return partition;
}

/**
 * Sends every record to `partition`. A record that names a partition itself must name the
 * same one: a body written for another partition is a mistake better refused than obeyed.
 *
 * @throws {ValidationError} naming the first record whose `partition` differs.
 */
export function toPartition(records: ProduceRecord[], partition: number): ProduceRecord[] {
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as ProduceRecord;
    if (record.partition !== undefined && record.partition !== partition) {
      throw new ValidationError(`records[${index}].partition: ${record.partition} differs from the partition of the path, ${partition}`);
    }
    record.partition = partition;
  }
  return records;
}

/**
 * Reads a v2 body's records, and encodes those of a schema'd format (a step of its own, which
 * the service runs after the Idempotency-Key's claim), and the writer of its answer, which
 * carries the schema ids once they are known.
 */
function v2Records(request: HttpRequest, topic: string, limits: ProduceLimits, schemas: SchemasLoader | undefined) {
  let schemaIds: SchemaIds = NO_SCHEMA_IDS;
  // What reading found, for the encoding step.
  let read: { format: EmbeddedFormat; schemaFields: SchemaFields } | undefined;
  return {
    read: (): ProduceRecord[] => {
      const format = embeddedFormatOf(request.contentType);
      const body = readProduceBody(request.body, format, limits);
      read = { format, schemaFields: body.schemaFields };
      return body.records;
    },
    encode: async (records: ProduceRecord[], signal: AbortSignal): Promise<ProduceRecord[]> => {
      // Fails closed: records passed on unencoded would put JSON text on a schema'd topic.
      if (read === undefined) throw new Error('the v2 records were encoded before they were read');
      if (!isSchemaFormat(read.format)) return records;
      const { format, schemaFields } = read;
      // The json and binary formats' cold start never pays for the encoder.
      const [{ encodeRecords }, loaded] = await Promise.all([loadRecordEncoder(), schemas?.()]);
      signal.throwIfAborted();
      // Before any send: a request whose schemas or data are refused writes nothing.
      const encoded = await encodeRecords(topic, format, schemaFields, records, loaded);
      schemaIds = { keySchemaId: encoded.keySchemaId, valueSchemaId: encoded.valueSchemaId };
      return encoded.records;
    },
    writer: v2AnswerWriter(() => schemaIds),
  };
}

/** `POST /topics/{topic}`: the records of the body, each to its own or the partitioner's partition. */
export function readV2TopicRequest(request: HttpRequest, limits: ProduceLimits, schemas?: SchemasLoader): ProduceCommand {
  const topic = request.params.topic as string;
  const { read, encode, writer } = v2Records(request, topic, limits, schemas);
  return {
    request,
    topic,
    // The media type alone, as before the other routes: keys stored by earlier versions still match.
    fingerprint: mediaTypeOf(request.contentType),
    read,
    encode: (slots, signal) => encode(slots as ProduceRecord[], signal),
    writer,
  };
}

/** `POST /topics/{topic}/partitions/{partition}`: every record of the body to the path's partition. */
export function readV2PartitionRequest(request: HttpRequest, limits: ProduceLimits, schemas?: SchemasLoader): ProduceCommand {
  const segment = request.params.partition as string;
  const topic = request.params.topic as string;
  const { read, encode, writer } = v2Records(request, topic, limits, schemas);
  return {
    request,
    topic,
    fingerprint: `partition ${segment}\n${mediaTypeOf(request.contentType)}`,
    read: () => {
      const partition = partitionOfPath(segment);
      return toPartition(read(), partition);
    },
    encode: (slots, signal) => encode(slots as ProduceRecord[], signal),
    writer,
  };
}
