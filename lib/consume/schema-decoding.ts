/**
 * Decoding as a step of each record, inside its partition's worker: a record whose key or
 * value is framed for a schema registry (Confluent or AWS Glue), or that Lambda's schema
 * registry integration delivered with `keySchemaMetadata` / `valueSchemaMetadata`, gets its
 * decoded key and value when its partition reaches it. A record that does not decode fails on
 * its own, with a reason naming the side, the format and the schema id; its partition stops
 * there like at any failed record. A registry that cannot be reached is waited out while the
 * invocation may wait (the record is not at fault), then the record fails as unavailable, so
 * the event source delivers it again; the records before it in its partition, and the other
 * partitions, go on meanwhile, since only this record's step waits.
 */
import type { AppError } from '../errors';
import type { DecodedData, DeliveredSchemaMetadata } from '../schema/schemas';
import type { ConsumedRecord } from './event';
import { SCHEMA_REGISTRY_UNAVAILABLE, UNDECODABLE_RECORD } from './failure-reason';
import { isTransient, type Patience } from './patience';
import type { Failure } from './record-plan';

/** What decodes a key or value (`lib/schema`'s `Schemas`); undefined for bytes without framing or metadata. */
export interface RecordDecoder {
  decode(bytes: Buffer, metadata?: DeliveredSchemaMetadata): Promise<DecodedData | undefined>;
}

/** A decode failure: the side that failed and why. */
interface DecodeFailure {
  side: 'key' | 'value';
  error: AppError;
  transient: boolean;
}

/** One attempt at a record: its decoded sides, or the failure. */
export type DecodeAttempt = { decoded: { key?: DecodedData; value?: DecodedData } } | { failed: DecodeFailure };

async function decodeSide(decoder: RecordDecoder, bytes: Buffer | null, metadata: DeliveredSchemaMetadata | undefined): Promise<DecodedData | undefined> {
  return bytes === null ? undefined : decoder.decode(bytes, metadata);
}

/**
 * The decoded key. Without the mapping's schema metadata a key's framing is only a guess (a key
 * written by Kafka's IntegerSerializer or LongSerializer with a small value starts with 0x00
 * too), and the key only informs: a key that does not decode then stays bytes, and the record
 * goes on. With the metadata, the key is schema'd and must decode.
 */
async function decodeKey(decoder: RecordDecoder, record: ConsumedRecord): Promise<DecodedData | undefined> {
  if (record.keySchemaMetadata !== undefined) return decodeSide(decoder, record.key, record.keySchemaMetadata);
  try {
    return await decodeSide(decoder, record.key, undefined);
  } catch {
    return undefined;
  }
}

/** Decodes `record`'s key, then its value, once; never throws. */
export async function attemptDecode(decoder: RecordDecoder, record: ConsumedRecord): Promise<DecodeAttempt> {
  let side: DecodeFailure['side'] = 'key';
  try {
    const key = await decodeKey(decoder, record);
    side = 'value';
    const value = await decodeSide(decoder, record.value, record.valueSchemaMetadata);
    return { decoded: { ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }) } };
  } catch (error) {
    return { failed: { side, error: error as AppError, transient: isTransient(error) } };
  }
}

/** `record` with its decoded sides; the record itself when nothing was schema'd. */
export function withDecoded(record: ConsumedRecord, decoded: { key?: DecodedData; value?: DecodedData }): ConsumedRecord {
  if (decoded.key === undefined && decoded.value === undefined) return record;
  return {
    ...record,
    ...(decoded.key === undefined ? {} : { decodedKey: decoded.key }),
    ...(decoded.value === undefined ? {} : { decodedValue: decoded.value }),
  };
}

/** The failure of a record that did not decode: unavailable (retried) or undecodable, naming side, format and schema id. */
export function decodeFailure({ side, error, transient }: DecodeFailure): Failure {
  return { reason: transient ? SCHEMA_REGISTRY_UNAVAILABLE : `${UNDECODABLE_RECORD}: ${side}: ${error.message}`, error };
}

/**
 * What became of a record's decoding: decoded (the record with its decoded sides), failed, or
 * given up because the hand-back before a pause stopped the partition earlier.
 */
export type DecodeStepResult = { kind: 'decoded'; record: ConsumedRecord } | { kind: 'failed'; failure: Failure } | { kind: 'given-up' };

/**
 * Decodes `record`, waiting out a registry that cannot be reached while `patience` allows.
 * `handBack` runs before each pause (the partition worker applies the records gathered before
 * this one, so they do not wait, and hands back its claims issued ahead) and resolves false
 * when the partition stopped meanwhile. Never throws.
 */
export async function decodeRecord(
  record: ConsumedRecord,
  decoder: RecordDecoder,
  patience: Patience,
  handBack: () => Promise<boolean>,
): Promise<DecodeStepResult> {
  let waited = false;
  for (;;) {
    const attempt = await attemptDecode(decoder, record);
    if ('decoded' in attempt) {
      // The registry answered again: the next wait, for any record, starts short.
      if (waited) patience.reset();
      return { kind: 'decoded', record: withDecoded(record, attempt.decoded) };
    }
    if (!attempt.failed.transient) return { kind: 'failed', failure: decodeFailure(attempt.failed) };
    if (!(await handBack())) return { kind: 'given-up' };
    if (!(await patience.pause())) return { kind: 'failed', failure: decodeFailure(attempt.failed) };
    waited = true;
  }
}
