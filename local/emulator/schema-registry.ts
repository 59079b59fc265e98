/**
 * The event source mapping's schema registry integration, as the local emulator applies it
 * before an invocation: the attributes named in `schemaValidation` (KEY, VALUE) must carry a
 * registered schema's framing and decode with it. Such a record is delivered the way Lambda
 * delivers it, in `eventRecordFormat` SOURCE (the payload without its framing) or JSON (the
 * decoded value as JSON text), with `keySchemaMetadata` / `valueSchemaMetadata`; one whose
 * schema is not found, or that does not decode, never reaches the function and goes to the
 * on-failure destination with the reason (`SCHEMA_NOT_FOUND` / `DESERIALIZATION_ERROR`).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
 *
 * Settings come from the optional `schemaRegistry` block of deploy/event-source.json, which
 * serverless.yml also reads (as the default of params schemaRegistryRecordFormat and
 * schemaRegistryValidation).
 */
import { isTransient } from '../../lib/consume/patience';
import { SchemaNotFoundError } from '../../lib/errors';
import { isPlainObject } from '../../lib/json-checks';
import { unframe } from '../../lib/schema/framing';
import type { DecodedData } from '../../lib/schema/schemas';
import settingsFile from '../../deploy/event-source.json';
import type { FetchedRecord } from '../kafka/consumer';

/** The emulated mapping's registry settings. */
export interface EmulatedSchemaRegistry {
  eventRecordFormat: 'JSON' | 'SOURCE';
  /** The attributes validated and delivered decoded; others pass as they are. */
  schemaValidation: readonly ('KEY' | 'VALUE')[];
}

/** Why Lambda refuses a record before the function (its failure record's reason). */
export const SchemaFailure = {
  NotFound: 'SCHEMA_NOT_FOUND',
  Deserialization: 'DESERIALIZATION_ERROR',
} as const;
export type SchemaFailure = (typeof SchemaFailure)[keyof typeof SchemaFailure];

/** Decodes a framed key or value (`lib/schema`'s `Schemas`), undefined for bytes without framing. */
export interface FramedDecoder {
  decode(bytes: Buffer): Promise<DecodedData | undefined>;
}

/** What Lambda adds to a delivered record's key or value. */
export interface DeliveredMetadata {
  dataFormat: string;
  schemaId: string;
}

/** A record as the function gets it: bytes replaced where validated, and their metadata. */
export interface DeliveredRecord {
  record: FetchedRecord;
  keySchemaMetadata?: DeliveredMetadata;
  valueSchemaMetadata?: DeliveredMetadata;
}

/** What becomes of one record. */
export type SchemaDelivery = { deliver: DeliveredRecord } | { reject: SchemaFailure; detail: string };

/** Raised for a `schemaRegistry` block the emulator cannot honour. */
export class SchemaRegistrySettingsError extends Error {}

/**
 * The `schemaRegistry` block of deploy/event-source.json, or undefined when there is none.
 *
 * @throws {SchemaRegistrySettingsError} naming the bad field.
 */
export function parseSchemaRegistrySettings(raw: unknown): EmulatedSchemaRegistry | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) throw new SchemaRegistrySettingsError('event-source.json: schemaRegistry must be an object');
  const format = raw.eventRecordFormat ?? 'SOURCE';
  if (format !== 'JSON' && format !== 'SOURCE')
    throw new SchemaRegistrySettingsError(`event-source.json: schemaRegistry.eventRecordFormat must be JSON or SOURCE, got ${JSON.stringify(format)}`);
  const validation = raw.schemaValidation ?? [];
  if (!Array.isArray(validation) || !validation.every((item) => item === 'KEY' || item === 'VALUE')) {
    throw new SchemaRegistrySettingsError('event-source.json: schemaRegistry.schemaValidation must list KEY and VALUE only');
  }
  return { eventRecordFormat: format, schemaValidation: [...new Set(validation as ('KEY' | 'VALUE')[])] };
}

/** The `schemaRegistry` block of deploy/event-source.json, or undefined when it has none. */
export function readSchemaRegistrySettings(): EmulatedSchemaRegistry | undefined {
  return parseSchemaRegistrySettings((settingsFile as Record<string, unknown>).schemaRegistry);
}

/** The delivered bytes of a decoded attribute: the payload (SOURCE) or its JSON text (JSON). */
function deliveredBytes(decoded: DecodedData, framed: Buffer, format: EmulatedSchemaRegistry['eventRecordFormat']): Buffer {
  if (format === 'JSON') return Buffer.from(JSON.stringify(decoded.value), 'utf8');
  // SOURCE: the original payload, without its framing (Lambda removes the schema metadata).
  return unframe(framed)?.payload ?? framed;
}

/**
 * What becomes of `record` under `settings`.
 *
 * @throws the decoder's retriable error (a registry that cannot be reached): the invocation is tried again later.
 */
export async function schemaDeliveryOf(record: FetchedRecord, settings: EmulatedSchemaRegistry, decoder: FramedDecoder): Promise<SchemaDelivery> {
  const delivered: DeliveredRecord = { record };
  let replaced = record;
  for (const attribute of settings.schemaValidation) {
    const side = attribute === 'KEY' ? 'key' : 'value';
    const bytes = record[side];
    if (bytes === null) continue;
    let decoded: DecodedData | undefined;
    try {
      decoded = await decoder.decode(bytes);
    } catch (error) {
      if (isTransient(error)) throw error;
      const reject = error instanceof SchemaNotFoundError ? SchemaFailure.NotFound : SchemaFailure.Deserialization;
      return { reject, detail: `${side}: ${(error as Error).message}` };
    }
    if (decoded === undefined) return { reject: SchemaFailure.NotFound, detail: `${side}: no schema registry framing` };
    replaced = { ...replaced, [side]: deliveredBytes(decoded, bytes, settings.eventRecordFormat) };
    const metadata = { dataFormat: settings.eventRecordFormat === 'JSON' ? 'JSON' : decoded.format, schemaId: decoded.schemaId };
    if (side === 'key') delivered.keySchemaMetadata = metadata;
    else delivered.valueSchemaMetadata = metadata;
  }
  delivered.record = replaced;
  return { deliver: delivered };
}

/** A batch's records after the schema check, in offset order: delivered ones with their bytes replaced, refused ones as they were. */
export interface SchemaCheckedBatch {
  records: FetchedRecord[];
  /** Why each refused record is refused, by offset. */
  refused: Map<string, SchemaFailure>;
  /** The metadata of each delivered record, by offset, for the event. */
  delivered: Map<string, DeliveredRecord>;
}

/**
 * Applies `settings` to a partition's batch (see {@link SchemaCheckedBatch}).
 *
 * @throws the decoder's retriable error, for the whole batch.
 */
export async function schemaCheckedBatch(
  records: readonly FetchedRecord[],
  settings: EmulatedSchemaRegistry,
  decoder: FramedDecoder,
): Promise<SchemaCheckedBatch> {
  const result: SchemaCheckedBatch = { records: [], refused: new Map(), delivered: new Map() };
  for (const record of records) {
    const outcome = await schemaDeliveryOf(record, settings, decoder);
    if ('deliver' in outcome) {
      result.records.push(outcome.deliver.record);
      result.delivered.set(record.offset, outcome.deliver);
    } else {
      result.records.push(record);
      result.refused.set(record.offset, outcome.reject);
    }
  }
  return result;
}

/**
 * Applies `settings` to a batch's records: those delivered (bytes replaced, metadata to add to
 * the event) and those refused, each with its reason.
 *
 * @throws the decoder's retriable error, for the whole batch.
 */
export async function applySchemaRegistry(
  records: readonly FetchedRecord[],
  settings: EmulatedSchemaRegistry,
  decoder: FramedDecoder,
): Promise<{ delivered: DeliveredRecord[]; refused: { record: FetchedRecord; reason: SchemaFailure; detail: string }[] }> {
  const delivered: DeliveredRecord[] = [];
  const refused: { record: FetchedRecord; reason: SchemaFailure; detail: string }[] = [];
  for (const record of records) {
    const outcome = await schemaDeliveryOf(record, settings, decoder);
    if ('deliver' in outcome) delivered.push(outcome.deliver);
    else refused.push({ record, reason: outcome.reject, detail: outcome.detail });
  }
  return { delivered, refused };
}

/** Adds the delivered records' schema metadata to `event`'s records, matched by partition and offset. */
export function withSchemaMetadata<E extends { records: Record<string, { partition: number; offset: number }[]> }>(
  event: E,
  delivered: readonly DeliveredRecord[],
): E {
  const byPosition = new Map(delivered.map((item) => [`${item.record.partition}:${item.record.offset}`, item]));
  for (const group of Object.values(event.records)) {
    for (const mskRecord of group) {
      const item = byPosition.get(`${mskRecord.partition}:${mskRecord.offset}`);
      if (item?.keySchemaMetadata !== undefined) Object.assign(mskRecord, { keySchemaMetadata: item.keySchemaMetadata });
      if (item?.valueSchemaMetadata !== undefined) Object.assign(mskRecord, { valueSchemaMetadata: item.valueSchemaMetadata });
    }
  }
  return event;
}
