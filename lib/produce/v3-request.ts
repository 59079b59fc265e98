/**
 * The request readers of the REST Proxy v3 produce routes, Confluent's `ProduceRequest`:
 * `POST /v3/clusters/{cluster_id}/topics/{topic_name}/records` with one record, or several
 * written one after another (Confluent's streaming mode, here a bounded stream: API Gateway
 * buffers the body), and `.../records:batch` with `{"entries": [{"id", ...}]}`. Each record is
 * read on its own: one that cannot be produced gets its own report and the others still go.
 * https://github.com/confluentinc/kafka-rest/blob/master/api/v3/openapi.yaml
 */
import {
  AppError,
  BodyNotJsonError,
  ClusterNotFoundError,
  InternalError,
  InvalidBatchError,
  PartitionNotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import { isInteger } from '../json-checks';
import type { ProduceCommand, RecordSlot } from './command';
import { JsonSyntaxError, objectPlace, readJson, readJsonSequence, type Place, type RawJson, type ReadObject } from './json-body';
import type { HttpRequest } from './route';
import { v3BatchWriter, v3RecordsWriter, type V3DataReport, type V3RecordTypes } from './v3-answer';
import { PLAIN_DATA_ENCODERS, plainTypeOf, V3_DATA_FIELDS, type PlainDataType } from './v3-data';
import type { V3SchemaEncoded, V3SchemaMembers, V3SchemaScope } from './v3-schema';
import type { SchemasLoader } from './v2-request';
import {
  checkBodySize,
  HEADERS_PLACE,
  isObject,
  MAX_PARTITION,
  mediaTypeOf,
  parseHeaders,
  rejectUnknownFields,
  type ProduceLimits,
  type ProduceRecord,
} from './validation';
import { KAFKA_V3_MEDIA_TYPE } from '../http/json-response';

const RECORD_FIELDS: ReadonlySet<string> = new Set(['partition_id', 'headers', 'key', 'value', 'timestamp']);
const ENTRY_FIELDS: ReadonlySet<string> = new Set([...RECORD_FIELDS, 'id']);
/** Confluent's bounds of a batch entry's id (ProduceBatchAction). */
const MAX_ENTRY_ID_LENGTH = 80;
// RFC 3339 date-time, as Confluent's `timestamp` (format: date-time).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Whether the fields of an RFC 3339 date-time name a real instant. `Date.parse` moves an
 * impossible one (`2021-02-30` becomes 2 March, `24:00:00` the next day), which would give the
 * record a CreateTime the client did not write.
 */
function isRealDateTime(match: RegExpExecArray): boolean {
  const field = (group: number): number => Number(match[group] ?? 0);
  // Day 0 of the next month is the last day of this one (months count from 0 in Date.UTC).
  const daysInMonth = new Date(Date.UTC(field(1), field(2), 0)).getUTCDate();
  const date = field(2) >= 1 && field(2) <= 12 && field(3) >= 1 && field(3) <= daysInMonth;
  return date && field(4) <= 23 && field(5) <= 59 && field(6) <= 59 && field(9) <= 23 && field(10) <= 59;
}

// The members each object mostly has are matched byte for byte rather than read (see ObjectPlace).
const DATA_PLACE = objectPlace(
  // Stryker disable next-line ConditionalExpression,StringLiteral,EqualityOperator: the data's other members are refused by name or read as plain values (a token is plain, looked up).
  (member) => (member === 'data' ? 'raw' : member === 'type' ? 'token' : 'plain'),
  // Stryker disable next-line ArrayDeclaration: speed only; without the expected names every member is read by name.
  [...V3_DATA_FIELDS],
);
// Stryker disable next-line ConditionalExpression,StringLiteral: a record's other members are refused by name or read as plain values.
const recordMemberPlace = (member: string): Place => (member === 'key' || member === 'value' ? DATA_PLACE : member === 'headers' ? HEADERS_PLACE : 'plain');
// Stryker disable next-line ArrayDeclaration: speed only; without the expected names every member is read by name.
const RECORD_PLACE = objectPlace(recordMemberPlace, [...RECORD_FIELDS]);
// Stryker disable next-line ArrayDeclaration: speed only, as above.
const ENTRY_PLACE = objectPlace(recordMemberPlace, [...ENTRY_FIELDS]);
// Stryker disable next-line ConditionalExpression,StringLiteral,ArrayDeclaration: the body's other members are refused by name; without the expected name, "entries" is read by name.
const BATCH_PLACE = objectPlace((member) => (member === 'entries' ? { array: ENTRY_PLACE } : 'plain'), ['entries']);

/** What the v3 readers need besides the request. */
export interface V3ReadContext {
  limits: ProduceLimits;
  /** The cluster's id, from the broker's metadata (cached). */
  clusterId: () => Promise<string>;
  /** Now, epoch milliseconds: the timestamp of a record that names none. */
  nowMs: () => number;
  /** The schema'd formats over the configured registry; undefined when none is configured. */
  schemas?: SchemasLoader;
}

/**
 * Checks the request's media type (415) and the path's cluster id (404).
 *
 * @returns the cluster id, for the reports.
 */
async function checkV3Request(request: HttpRequest, context: V3ReadContext): Promise<string> {
  if (mediaTypeOf(request.contentType) !== KAFKA_V3_MEDIA_TYPE) {
    throw new UnsupportedMediaTypeError(`Content-Type "${request.contentType ?? ''}" is not supported; use ${KAFKA_V3_MEDIA_TYPE}`);
  }
  const clusterId = await context.clusterId();
  if (request.params.cluster_id !== clusterId) throw new ClusterNotFoundError(`cluster ${request.params.cluster_id} cannot be found`);
  checkBodySize(request.body, context.limits);
  return clusterId;
}

const KEY_PATH = (): string => 'key';
const VALUE_PATH = (): string => 'value';

/** A key or value written with a schema (a schema'd `type`, or none). */
const SCHEMA = 'schema';
/** What a key or value is: absent, of a plain type, or written with a schema. */
type DataKind = PlainDataType | typeof SCHEMA | undefined;

/** Checks a key or value's members and tells its kind. */
function dataKind(value: unknown, path: 'key' | 'value'): DataKind {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new ValidationError(`${path}: must be an object {"type", "data"}`);
  const memberCount = rejectUnknownFields(value, V3_DATA_FIELDS, path === 'key' ? KEY_PATH : VALUE_PATH);
  return plainTypeOf(value, memberCount, path) ?? SCHEMA;
}

/** The `data` of a key or value whose members were checked, as read. */
const dataOf = (value: unknown): RawJson | null => ((value as ReadObject).data ?? null) as RawJson | null;

function plainBytes(kind: DataKind, value: unknown, path: 'key' | 'value'): Buffer | null {
  if (kind === undefined || kind === SCHEMA) return null;
  return PLAIN_DATA_ENCODERS[kind](dataOf(value), path === 'key' ? 'key.data' : 'value.data');
}

// One report object per plain type, shared by every record: nothing is built per record for it.
const PLAIN_REPORTS = Object.fromEntries(Object.keys(PLAIN_DATA_ENCODERS).map((type) => [type, Object.freeze({ type })])) as Record<
  PlainDataType,
  V3DataReport
>;

function plainReport(kind: DataKind): V3DataReport | undefined {
  return kind === undefined || kind === SCHEMA ? undefined : PLAIN_REPORTS[kind];
}

// Loaded once, with the first record that needs it: an import() per key or value, even of a
// module already loaded, costs a trip through the module loader.
let v3Schema: Promise<typeof import('./v3-schema')> | undefined;

/** A key or value written with a schema; the schema'd formats are loaded with the first record that needs one. */
async function schemaEncoded(value: unknown, path: 'key' | 'value', scope: V3SchemaScope): Promise<V3SchemaEncoded> {
  v3Schema ??= import('./v3-schema');
  const { encodeV3WithSchema } = await v3Schema;
  return encodeV3WithSchema(value as V3SchemaMembers, dataOf(value), path, scope);
}

function timestampOf(value: unknown, nowMs: () => number): number {
  if (value === undefined || value === null) return nowMs();
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const ms = match !== null && isRealDateTime(match) ? Date.parse(value as string) : Number.NaN;
  if (!(ms >= 0)) throw new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"');
  return ms;
}

function partitionOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isInteger(value) || value > MAX_PARTITION) throw new ValidationError(`partition_id: must be a whole number from 0 to ${MAX_PARTITION}`);
  // As Confluent answers a negative partition id.
  if (value < 0) throw new PartitionNotFoundError(`partition ${value} does not exist`);
  return value;
}

/** One v3 record read, with the reports of its key and value. */
export interface V3Read extends V3RecordTypes {
  record: ProduceRecord;
  /**
   * The key's and the value's members when either is written with a schema: that side is null in
   * `record` until {@link encodeV3Read} encodes it, after the Idempotency-Key is claimed.
   */
  unencoded?: { key: unknown; value: unknown };
}

/**
 * Reads one v3 record (a `ProduceRequest`, or a batch entry when `fields` allows `id`), without
 * waiting: a key or value written with a schema is checked no further here and left for
 * {@link encodeV3Read}, the registry's step, which the service runs after the Idempotency-Key
 * is claimed and within the request's one budget.
 *
 * @throws {AppError} why this record cannot be produced.
 */
function readV3Record(value: unknown, fields: ReadonlySet<string>, nowMs: () => number): V3Read {
  if (!isObject(value)) throw new ValidationError('record: must be an object');
  rejectUnknownFields(value, fields, RECORD_PATH);
  const keyKind = dataKind(value.key, 'key');
  const keyBytes = plainBytes(keyKind, value.key, 'key');
  const valueKind = dataKind(value.value, 'value');
  const valueBytes = plainBytes(valueKind, value.value, 'value');
  const headers = parseHeaders(value.headers, NO_PATH);
  const timestampMs = timestampOf(value.timestamp, nowMs);
  const partition = partitionOf(value.partition_id);
  const read = v3Read(keyBytes, valueBytes, headers, timestampMs, partition, plainReport(keyKind), plainReport(valueKind));
  if (keyKind === SCHEMA || valueKind === SCHEMA) {
    read.unencoded = { key: keyKind === SCHEMA ? value.key : undefined, value: valueKind === SCHEMA ? value.value : undefined };
  }
  return read;
}

/** A record read whose key or value, or both, waits for {@link encodeV3Read}. */
type UnencodedRead = V3Read & Required<Pick<V3Read, 'unencoded'>>;

const isUnencoded = (read: V3Read): read is UnencodedRead => read.unencoded !== undefined;

/**
 * Encodes the schema'd key or value, or both, of a record read: the schema is resolved (the
 * registry, or the scope's cache) only after every check that needs no waiting, so that a
 * record refused by one of them leaves no registry request behind.
 *
 * @throws {AppError} why this record cannot be produced: the schema'd formats' errors (42203,
 *   42205, 42207, 400 for members that do not go together, 503 for a registry away).
 */
async function encodeV3Read(read: UnencodedRead, scope: V3SchemaScope): Promise<V3Read> {
  const { unencoded, record } = read;
  const [key, data] = await Promise.all([
    unencoded.key === undefined ? undefined : schemaEncoded(unencoded.key, 'key', scope),
    unencoded.value === undefined ? undefined : schemaEncoded(unencoded.value, 'value', scope),
  ]);
  return v3Read(
    key === undefined ? record.key : key.bytes,
    data === undefined ? record.value : data.bytes,
    record.headers,
    record.timestampMs,
    record.partition,
    key === undefined ? read.key : key.report,
    data === undefined ? read.value : data.report,
  );
}

const RECORD_PATH = (): string => 'record';
const NO_PATH = (): string => '';

function v3Read(
  key: Buffer | null,
  value: Buffer | null,
  headers: ProduceRecord['headers'],
  timestampMs: ProduceRecord['timestampMs'],
  partition: number | undefined,
  keyReport: V3DataReport | undefined,
  valueReport: V3DataReport | undefined,
): V3Read {
  const record: ProduceRecord = { key, value, headers, timestampMs };
  if (partition !== undefined) record.partition = partition;
  return { record, key: keyReport, value: valueReport };
}

/** The error of a record refused on its own; an unexpected failure is no client's to read, so it is thrown. */
function refusal(error: unknown): AppError {
  if (!(error instanceof AppError)) throw error;
  return error;
}

// Stryker disable next-line ObjectLiteral: the writers read no types for a refused record; the entry keeps the order.
const NO_TYPES: V3RecordTypes = Object.freeze({ key: undefined, value: undefined });

/**
 * The slot of a record whose schema'd side is not encoded yet. It is a refusal, so that a
 * record the encoding step never reached is answered as not sent, never sent with a null side.
 * One for every such record: it is only ever stored, never thrown, and an error per record
 * would capture a stack trace each.
 */
const NOT_ENCODED: AppError = Object.freeze(new InternalError('the record was not encoded with its schema'));

/**
 * The records of one v3 request: read at once, in order, into `slots` and `types` (each record's
 * key and value reports); the records written with a schema are encoded by `encode`, in order.
 */
function v3Slots(context: V3ReadContext, topic: string) {
  const types: V3RecordTypes[] = [];
  // The positions of the records read with a schema'd side, and what was read of them.
  const unencoded: { position: number; read: UnencodedRead }[] = [];
  return {
    types,
    read(values: readonly unknown[], fields: ReadonlySet<string>): RecordSlot[] {
      const slots: RecordSlot[] = [];
      // The records of a request that name no timestamp are stamped with the request's time, read once.
      let nowMs: number | undefined;
      const requestNowMs = (): number => {
        nowMs ??= context.nowMs();
        return nowMs;
      };
      for (const value of values) {
        let read: V3Read;
        try {
          read = readV3Record(value, fields, requestNowMs);
        } catch (error) {
          slots.push(refusal(error));
          types.push(NO_TYPES);
          continue;
        }
        if (isUnencoded(read)) {
          unencoded.push({ position: slots.length, read });
          slots.push(NOT_ENCODED);
        } else {
          slots.push(read.record);
        }
        // The read carries its key and value reports: it is the record's entry of `types`.
        types.push(read);
      }
      return slots;
    },
    async encode(slots: RecordSlot[], signal: AbortSignal): Promise<RecordSlot[]> {
      const scope: V3SchemaScope = { topic, schemas: context.schemas, resolved: new Map() };
      // One after another: the records of a request mostly name one schema, resolved by the first.
      for (const { position, read } of unencoded) {
        signal.throwIfAborted();
        try {
          const done = await encodeV3Read(read, scope);
          slots[position] = done.record;
          types[position] = done;
        } catch (error) {
          slots[position] = refusal(error);
          types[position] = NO_TYPES;
        }
      }
      return slots;
    },
  };
}

/**
 * `POST .../records`: one record, or several one after another. A stream cut or broken in the
 * middle of a record keeps the records before it; the broken one is answered 40001 in its place
 * and nothing after it can be read.
 */
export function readV3RecordsRequest(request: HttpRequest, context: V3ReadContext): ProduceCommand {
  const records = v3Slots(context, request.params.topic_name as string);
  const { types } = records;
  let clusterId = '';
  return {
    request,
    topic: request.params.topic_name as string,
    fingerprint: `v3 records\n${mediaTypeOf(request.contentType)}`,
    read: async () => {
      clusterId = await checkV3Request(request, context);
      let sequence: ReturnType<typeof readJsonSequence>;
      try {
        sequence = readJsonSequence(request.body, RECORD_PLACE);
      } catch (error) {
        if (!(error instanceof JsonSyntaxError)) throw error;
        throw new BodyNotJsonError(`the body is not UTF-8 JSON: ${error.message}`);
      }
      const { values, error } = sequence;
      const count = values.length + (error === undefined ? 0 : 1);
      if (values.length === 0 && error !== undefined) throw new BodyNotJsonError(`the body is not JSON: ${error.message}`);
      if (count === 0) throw new ValidationError('body: is empty; send a record {"value": {"type", "data"}}, or several one after another');
      if (count > context.limits.maxRecordsPerRequest) {
        throw new PayloadTooLargeError(`${count} records; the limit is ${context.limits.maxRecordsPerRequest}`);
      }
      const slots = records.read(values, RECORD_FIELDS);
      if (error !== undefined) {
        types.push(NO_TYPES);
        slots.push(new BodyNotJsonError(`record ${values.length} is not JSON: ${error.message}`));
      }
      return slots;
    },
    encode: records.encode,
    writer: v3RecordsWriter(() => ({ clusterId, topic: request.params.topic_name as string, types })),
  };
}

function entryIdOf(entry: unknown): string {
  const id = isObject(entry) ? entry.id : undefined;
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_ENTRY_ID_LENGTH) {
    throw new InvalidBatchError('Batch entry identifier is not a valid string (1 to 80 characters).');
  }
  return id;
}

/** The batch's entries, checked as a whole as Confluent checks them (422 42208). */
function batchEntries(body: unknown, limits: ProduceLimits): { entries: unknown[]; ids: string[] } {
  if (!isObject(body)) throw new InvalidBatchError('Request body is empty or not an object {"entries": [...]}. Data is required.');
  rejectUnknownFields(body as ReadObject, new Set(['entries']), () => 'body');
  const { entries } = body;
  if (!Array.isArray(entries)) throw new InvalidBatchError('entries: must be an array of records with an "id".');
  if (entries.length === 0) throw new InvalidBatchError('Empty batch.');
  if (entries.length > limits.maxRecordsPerRequest)
    throw new InvalidBatchError(`Too many entries in batch: ${entries.length}; the limit is ${limits.maxRecordsPerRequest}.`);
  const ids = entries.map(entryIdOf);
  if (new Set(ids).size !== ids.length) throw new InvalidBatchError('Batch entry IDs are not distinct.');
  return { entries, ids };
}

/** `POST .../records:batch`: each entry produced or refused on its own, reported by its id (207). */
export function readV3BatchRequest(request: HttpRequest, context: V3ReadContext): ProduceCommand {
  const records = v3Slots(context, request.params.topic_name as string);
  const { types } = records;
  let clusterId = '';
  let ids: string[] = [];
  return {
    request,
    topic: request.params.topic_name as string,
    fingerprint: `v3 batch\n${mediaTypeOf(request.contentType)}`,
    read: async () => {
      clusterId = await checkV3Request(request, context);
      let body: unknown;
      try {
        body = readJson(request.body, BATCH_PLACE);
      } catch (error) {
        if (!(error instanceof JsonSyntaxError)) throw error;
        throw new BodyNotJsonError(`the body is not UTF-8 JSON: ${error.message}`);
      }
      const batch = batchEntries(body, context.limits);
      ids = batch.ids;
      return records.read(batch.entries, ENTRY_FIELDS);
    },
    encode: records.encode,
    writer: v3BatchWriter(() => ({ clusterId, topic: request.params.topic_name as string, types, ids })),
  };
}
