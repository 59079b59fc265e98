/**
 * The plain model of the event source mapping the consume model test checks against: a
 * Kafka log of a few partitions, the position the event source has reached in each, and
 * what became of every record, derived only from the handler's answers.
 *
 * A record is reported done when an invocation's answer does not list it in
 * `batchItemFailures` (any invocation: once one says so, the event source may commit past
 * it). The event source moves each partition past its done records and delivers the rest
 * again; a record at the head of its partition reported failed more than `maxRetries` times
 * is dead-lettered with the reason of its last failure, and the partition moves past it.
 */
import type { KafkaBatchResponse } from '../../lib/consume/batch';

/** One record of the log. Its payload is `{"v": value}`; its message id a header. */
export interface LogRecord {
  partition: number;
  offset: number;
  messageId: string;
  value: number;
}

/** `p0@1`: the record's name in counterexamples. */
export function recordName({ partition, offset }: Pick<LogRecord, 'partition' | 'offset'>): string {
  return `p${partition}@${offset}`;
}

/** `p0@1(a=2)`: the record with its message id and value. */
export function recordText(record: LogRecord): string {
  return `${recordName(record)}(${record.messageId}=${record.value})`;
}

/** The record's value as the sink stores it, JSON text. */
export function payloadText(value: number): string {
  return JSON.stringify({ v: value });
}

/** What became of one record. */
export interface RecordFate {
  /** Some invocation answered without listing it among its failures. */
  reportedDone: boolean;
  /** The reason of its last failure, when it was dead-lettered. */
  deadLettered?: string;
  /** The reasons it was reported failed with at the head of its partition by deliveries made once the faults had healed. */
  failuresWhenHealed: string[];
}

/** The topic of every record of the model. */
export const MODEL_TOPIC = 'orders';

/** The records an answer reports failed (its identifiers are `{partition: "orders-<n>", offset}`). */
export function failedRecords(response: KafkaBatchResponse): Pick<LogRecord, 'partition' | 'offset'>[] {
  return response.batchItemFailures.map(({ itemIdentifier }) => ({
    partition: Number(itemIdentifier.partition.slice(MODEL_TOPIC.length + 1)),
    offset: itemIdentifier.offset,
  }));
}

/** See the module comment. */
export class EventSourceModel {
  readonly position: number[];
  private readonly headFailures: number[];
  readonly fates = new Map<string, RecordFate>();

  constructor(
    readonly log: readonly (readonly LogRecord[])[],
    readonly maxRetries: number,
  ) {
    this.position = log.map(() => 0);
    this.headFailures = log.map(() => 0);
    for (const record of log.flat()) this.fates.set(recordName(record), { reportedDone: false, failuresWhenHealed: [] });
  }

  /** The records the event source delivers for `partitions`: from each one's position, or all of them (a replay from the start). */
  batch(partitions: readonly number[], fromStart: boolean): LogRecord[] {
    return partitions.flatMap((partition) => (this.log[partition] ?? []).slice(fromStart ? 0 : this.position[partition]));
  }

  /** Partitions whose records are not all done or dead-lettered. */
  unfinished(): number[] {
    return this.log.flatMap((records, partition) => ((this.position[partition] as number) < records.length ? [partition] : []));
  }

  /**
   * Takes in an invocation's answer to `batch`; `reasons` holds, per partition, the reason of
   * its first failed record as the handler told it. `healed`: the batch was delivered after
   * the faults had healed.
   */
  answer(batch: readonly LogRecord[], response: KafkaBatchResponse, reasons: ReadonlyMap<number, string>, healed: boolean): void {
    const failed = new Map<number, number>();
    for (const { partition, offset } of failedRecords(response)) failed.set(partition, Math.min(failed.get(partition) ?? Number.POSITIVE_INFINITY, offset));
    for (const partition of new Set(batch.map((record) => record.partition))) {
      const records = batch.filter((record) => record.partition === partition);
      const firstFailed = failed.get(partition);
      for (const record of records) {
        if (firstFailed === undefined || record.offset < firstFailed) this.fate(record).reportedDone = true;
      }
      const doneUpTo = firstFailed ?? (records[records.length - 1] as LogRecord).offset + 1;
      this.moveTo(partition, doneUpTo);
      if (firstFailed === this.position[partition]) this.failAtHead(partition, reasons.get(partition) ?? 'no reason told', healed);
    }
  }

  private failAtHead(partition: number, reason: string, healed: boolean): void {
    const record = this.log[partition]?.[this.position[partition] as number] as LogRecord;
    if (healed) this.fate(record).failuresWhenHealed.push(reason);
    this.headFailures[partition] = (this.headFailures[partition] as number) + 1;
    if ((this.headFailures[partition] as number) <= this.maxRetries) return;
    this.fate(record).deadLettered = reason;
    this.moveTo(partition, record.offset + 1);
  }

  private moveTo(partition: number, offset: number): void {
    if (offset <= (this.position[partition] as number)) return;
    this.position[partition] = offset;
    this.headFailures[partition] = 0;
  }

  private fate(record: LogRecord): RecordFate {
    return this.fates.get(recordName(record)) as RecordFate;
  }
}
