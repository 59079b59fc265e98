/**
 * Decoding before the plan: each record whose key or value is framed for a schema registry
 * (Confluent or AWS Glue), or that Lambda's schema registry integration delivered with
 * `keySchemaMetadata` / `valueSchemaMetadata`, gets its decoded key and value. A record that
 * does not decode becomes a failed entry of its own, with a reason naming the side, the format
 * and the schema id; its partition stops there like at any failed record, other records and
 * partitions go on. A registry that cannot be reached is waited out while the invocation may
 * wait (the records are not at fault), then the records it left undecoded fail as unavailable,
 * so the event source delivers them again.
 */
import type { AppError } from '../errors';
import type { DecodedData, DeliveredSchemaMetadata } from '../schema/schemas';
import type { ConsumedRecord, DecodedEvent, PartitionEntry } from './event';
import { SCHEMA_REGISTRY_UNAVAILABLE, UNDECODABLE_RECORD } from './failure-reason';
import { isTransient, type Patience } from './patience';

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

type Attempt = { decoded: { key?: DecodedData; value?: DecodedData } } | { failed: DecodeFailure };

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

async function attempt(decoder: RecordDecoder, record: ConsumedRecord): Promise<Attempt> {
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

function failedEntry(record: ConsumedRecord, { side, error, transient }: DecodeFailure): PartitionEntry {
  const reason = transient ? SCHEMA_REGISTRY_UNAVAILABLE : `${UNDECODABLE_RECORD}: ${side}: ${error.message}`;
  return { malformed: { topic: record.topic, partition: record.partition, offset: record.offset, error, reason } };
}

function withDecoded(record: ConsumedRecord, decoded: { key?: DecodedData; value?: DecodedData }): PartitionEntry {
  if (decoded.key === undefined && decoded.value === undefined) return { record };
  return {
    record: {
      ...record,
      ...(decoded.key === undefined ? {} : { decodedKey: decoded.key }),
      ...(decoded.value === undefined ? {} : { decodedValue: decoded.value }),
    },
  };
}

/**
 * `event` with every record's schema'd key and value decoded, or the record failed.
 *
 * @param patience - how long a registry that cannot be reached is waited out.
 */
export async function decodeSchemaRecords(event: DecodedEvent, decoder: RecordDecoder, patience: Patience): Promise<DecodedEvent> {
  const slots: { partition: number; index: number; record: ConsumedRecord }[] = [];
  const entries = event.partitions.map((partition) => [...partition.entries]);
  event.partitions.forEach((partition, p) => {
    partition.entries.forEach((entry, index) => {
      if ('record' in entry) slots.push({ partition: p, index, record: entry.record });
    });
  });
  let pending = slots;
  for (;;) {
    const attempts = await Promise.all(pending.map((slot) => attempt(decoder, slot.record)));
    const retry: { slot: (typeof pending)[number]; failed: DecodeFailure }[] = [];
    attempts.forEach((outcome, i) => {
      const slot = pending[i] as (typeof pending)[number];
      const target = entries[slot.partition] as PartitionEntry[];
      if ('decoded' in outcome) target[slot.index] = withDecoded(slot.record, outcome.decoded);
      else if (!outcome.failed.transient) target[slot.index] = failedEntry(slot.record, outcome.failed);
      else retry.push({ slot, failed: outcome.failed });
    });
    if (retry.length === 0) break;
    if (!(await patience.pause())) {
      for (const { slot, failed } of retry) (entries[slot.partition] as PartitionEntry[])[slot.index] = failedEntry(slot.record, failed);
      break;
    }
    pending = retry.map(({ slot }) => slot);
  }
  return { ...event, partitions: event.partitions.map((partition, p) => ({ ...partition, entries: entries[p] as PartitionEntry[] })) };
}
