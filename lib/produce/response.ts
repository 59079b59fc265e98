/** The REST Proxy v2 produce response body and the per-record entries it lists. */
import type { AppError } from '../errors';
import { httpErrorAnswerOf } from '../http/status';
import type { PartitionAck } from '../kafka/producer';

/** One record's outcome, in request order. */
export interface OffsetEntry {
  partition: number | null;
  offset: number | null;
  /** Null when acknowledged; 50003 (retriable) or 50002 otherwise. */
  error_code: number | null;
  error: string | null;
}

/** The response body of `POST /topics/{topic}` (successful or with failed records). */
export interface ProduceResponseBody {
  key_schema_id: number | null;
  value_schema_id: number | null;
  offsets: OffsetEntry[];
}

/** Wraps entries in the REST Proxy envelope. */
export function produceResponseBody(offsets: OffsetEntry[]): ProduceResponseBody {
  return { key_schema_id: null, value_schema_id: null, offsets };
}

/** An entry for a record that was not acknowledged, carrying `error`'s REST Proxy code and its message. */
export function failedEntry(error: AppError): OffsetEntry {
  return { partition: null, offset: null, error_code: httpErrorAnswerOf(error).errorCode, error: error.message };
}

/**
 * Each record's offset from the broker's per-partition acknowledgements: a record's offset is
 * its partition's base offset plus the number of records before it, in this send, in the same
 * partition (one send keeps the order of records within a partition). Records of a partition
 * without an acknowledgement become failed entries built from `unacknowledged(partition)`.
 *
 * @param partitions - the partition of each record, in request order.
 */
export function recordOffsets(partitions: readonly number[], acks: readonly PartitionAck[], unacknowledged: (partition: number) => AppError): OffsetEntry[] {
  const baseOffsets = new Map(acks.map((ack) => [ack.partition, ack.baseOffset]));
  const seen = new Map<number, number>();
  return partitions.map((partition) => {
    const position = seen.get(partition) ?? 0;
    seen.set(partition, position + 1);
    const baseOffset = baseOffsets.get(partition);
    if (baseOffset === undefined) return failedEntry(unacknowledged(partition));
    return { partition, offset: Number(baseOffset + BigInt(position)), error_code: null, error: null };
  });
}

const NO_IDS = { keySchemaId: null, valueSchemaId: null };

/**
 * The JSON text of {@link produceResponseBody} for `offsets` (and the schema ids used, null by default), byte for byte what
 * `JSON.stringify` gives, written directly: the acknowledged entries (all of them, on a 200)
 * are four fields of numbers and nulls, and one string built from them costs less than an
 * object per record serialised afterwards.
 */
export function produceResponseText(offsets: readonly OffsetEntry[], schemaIds: { keySchemaId: number | null; valueSchemaId: number | null } = NO_IDS): string {
  let text = `{"key_schema_id":${schemaIds.keySchemaId},"value_schema_id":${schemaIds.valueSchemaId},"offsets":[`;
  for (let index = 0; index < offsets.length; index += 1) {
    const entry = offsets[index] as OffsetEntry;
    if (index > 0) text += ',';
    // Speed only: for every entry the service builds (an acknowledged one has a partition and an
    // offset, a failed one has neither) the template writes what JSON.stringify would, so no
    // test can tell the paths apart.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, as said above.
    const plain = entry.error_code === null && entry.error === null && entry.partition !== null && entry.offset !== null;
    text += plain ? `{"partition":${entry.partition},"offset":${entry.offset},"error_code":null,"error":null}` : JSON.stringify(entry);
  }
  return `${text}]}`;
}
