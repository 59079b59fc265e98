/**
 * What every produce route turns its request into, whatever the API version: a
 * {@link ProduceCommand}. Each route's request reader builds one; the service claims the
 * Idempotency-Key, sends with acks=all and completes the key the same way for all of them;
 * each route's {@link AnswerWriter} turns the records' outcomes into its own answer.
 */
import { AppError } from '../errors';
import type { PartitionAck } from '../kafka/producer';
import type { HttpRequest } from './route';
import type { ProduceRecord } from './validation';

/**
 * One record of a request in request order: the record to produce, or why this one record
 * cannot be (a v3 stream or batch answers each record on its own; the v2 routes refuse the
 * whole request instead, so their readers never give an error here).
 */
export type RecordSlot = ProduceRecord | AppError;

/** True when the slot holds a record refused on its own. */
export function isRefused(slot: RecordSlot): slot is AppError {
  return slot instanceof AppError;
}

/** What became of one record: acknowledged at `partition` and `offset`, or not, with the reason. */
export type RecordOutcome = { partition: number; offset: number; error: null } | { partition: null; offset: null; error: AppError };

/** The HTTP answer a writer builds; the media type is the writer's. */
export interface WrittenAnswer {
  statusCode: number;
  body: string;
}

/** Turns a request's outcomes into the answer of its route. */
export interface AnswerWriter {
  /** The answer's `Content-Type`. */
  mediaType: string;
  /** The status of an answer in which every record was acknowledged, which is also its replay's. */
  completeStatus: number;
  /**
   * True when each record is answered on its own (v3): a record naming a partition the topic
   * does not have is then refused in its place rather than the whole request.
   */
  answersEachRecord: boolean;
  /**
   * @param slots - the request's records, in request order.
   * @param outcomes - one per slot, in the same order.
   */
  write(slots: readonly RecordSlot[], outcomes: readonly RecordOutcome[]): WrittenAnswer;
}

/** One produce request, read. */
export interface ProduceCommand {
  request: HttpRequest;
  topic: string;
  /**
   * Besides the caller, the topic and the body bytes, what makes two requests with one
   * Idempotency-Key the same request (the route and the media type).
   */
  fingerprint: string;
  /**
   * Reads the body into records.
   *
   * @throws {AppError} when the request as a whole cannot be taken (4xx).
   */
  read(): RecordSlot[] | Promise<RecordSlot[]>;
  /**
   * Encodes the records read with their schemas (the schema'd formats: the registry's step).
   * The service runs it after the Idempotency-Key is claimed, so that a request whose answer
   * is stored is replayed without the registry; absent when reading is all there is.
   *
   * @param signal - aborted once the request's budget is spent and it was answered: the step then
   *   asks the registry nothing more (a registration for an answered request would be a surprise).
   * @throws {AppError} when a schema or a record is refused (4xx), or the registry cannot answer (503).
   */
  encode?(slots: RecordSlot[], signal: AbortSignal): Promise<RecordSlot[]>;
  writer: AnswerWriter;
}

/**
 * Each record's outcome from the broker's per-partition acknowledgements: a record's offset is
 * its partition's base offset plus the number of records before it, in this send, in the same
 * partition (one send keeps the order of records within a partition). Records of a partition
 * without an acknowledgement fail with `unacknowledged(partition)`.
 *
 * @param partitions - the partition of each record sent, in send order.
 */
export function recordOutcomes(partitions: readonly number[], acks: readonly PartitionAck[], unacknowledged: (partition: number) => AppError): RecordOutcome[] {
  const baseOffsets = new Map(acks.map((ack) => [ack.partition, ack.baseOffset]));
  const seen = new Map<number, number>();
  return partitions.map((partition) => {
    const position = seen.get(partition) ?? 0;
    seen.set(partition, position + 1);
    const baseOffset = baseOffsets.get(partition);
    if (baseOffset === undefined) return { partition: null, offset: null, error: unacknowledged(partition) };
    return { partition, offset: Number(baseOffset + BigInt(position)), error: null };
  });
}
