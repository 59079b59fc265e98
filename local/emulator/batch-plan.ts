/**
 * What the emulator does next with a partition's records read from its current position, the
 * way Lambda's poller treats them before an invocation:
 *
 * - records at the head that no filter pattern keeps are committed without delivery
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html);
 * - records at the head past the maximum record age, or too big for an invocation on their
 *   own, go to the on-failure destination (`RecordAgeExceeded`, `MaximumPayloadSizeExceeded`);
 * - otherwise the next invocation's records: at most `batchSize` of them, within the 6 MB
 *   payload limit, within a bisected batch's window, and ending before the next record that
 *   must go to the destination (so that a retry never sends one twice). Filtered records among
 *   them are left out of the event and committed with it.
 */
import type { FetchedRecord } from '../kafka/consumer';
import { FailureCondition } from './failure-record';

/** Lambda's synchronous invocation payload limit: an event never exceeds it. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Limits of the next invocation. */
export interface PlanLimits {
  /** Most records: the mapping's batch size, or a bisected batch's half. */
  batchSize: number;
  /** A bisected batch's end: records from here on wait for a later invocation. */
  untilOffset?: bigint;
  maxPayloadBytes: number;
}

/** What the plan asks of each record. */
export interface RecordChecks {
  /** False when no filter pattern keeps the record. */
  kept(record: FetchedRecord): boolean;
  /** True when the record is past the maximum record age. */
  expired(record: FetchedRecord): boolean;
  /** Why the schema registry integration refuses the record, if it does (./schema-registry.ts). */
  refused?(record: FetchedRecord): FailureCondition | undefined;
  /** The record's bytes in the event's JSON. */
  bytes(record: FetchedRecord): number;
  /** The event's bytes apart from its records (envelope and group key). */
  envelopeBytes: number;
}

/** A record leaving the stream without an invocation, and why. */
export interface SkippedFailure {
  record: FetchedRecord;
  condition: FailureCondition;
}

/** The next thing to do with a partition's records. */
export type PlanStep =
  /** Commit to `resumeAtOffset` once the failures are on the destination; nothing is invoked. */
  | { kind: 'skip'; filteredOut: number; failures: SkippedFailure[]; resumeAtOffset: bigint }
  /**
   * Invoke with `records`. `full` when a limit cut the batch (invoke now rather than wait for
   * the batching window); `filteredOut` records among them are left out of the event.
   */
  | { kind: 'invoke'; records: FetchedRecord[]; filteredOut: number; full: boolean; payloadBytes: number };

/** Why the record cannot be delivered at all, if it cannot. */
function failureOf(record: FetchedRecord, limits: PlanLimits, checks: RecordChecks): FailureCondition | undefined {
  const refused = checks.refused?.(record);
  if (refused !== undefined) return refused;
  if (checks.expired(record)) return FailureCondition.RecordAgeExceeded;
  if (checks.envelopeBytes + checks.bytes(record) > limits.maxPayloadBytes) return FailureCondition.MaximumPayloadSizeExceeded;
  return undefined;
}

/** The head of records that no invocation takes: filtered out, or failed without one. */
function headToSkip(records: readonly FetchedRecord[], limits: PlanLimits, checks: RecordChecks): PlanStep | undefined {
  let filteredOut = 0;
  const failures: SkippedFailure[] = [];
  let index = 0;
  for (; index < records.length; index += 1) {
    const record = records[index] as FetchedRecord;
    if (!checks.kept(record)) {
      filteredOut += 1;
      continue;
    }
    const condition = failureOf(record, limits, checks);
    if (condition === undefined) break;
    failures.push({ record, condition });
  }
  if (index === 0) return undefined;
  return { kind: 'skip', filteredOut, failures, resumeAtOffset: BigInt((records[index - 1] as FetchedRecord).offset) + 1n };
}

/**
 * Plans the next step for `records` (one partition's, ascending, from its current position);
 * undefined when there are none.
 */
export function planNextStep(records: readonly FetchedRecord[], limits: PlanLimits, checks: RecordChecks): PlanStep | undefined {
  if (records.length === 0) return undefined;
  const skip = headToSkip(records, limits, checks);
  if (skip !== undefined) return skip;
  const chosen: FetchedRecord[] = [];
  let filteredOut = 0;
  // Filtered records after the last chosen one are not part of this invocation: they are skipped next.
  let filteredWithin = 0;
  let payloadBytes = checks.envelopeBytes;
  let full = false;
  // A window that ends at or before the first record is over: it no longer limits anything.
  const until = limits.untilOffset !== undefined && limits.untilOffset > BigInt((records[0] as FetchedRecord).offset) ? limits.untilOffset : undefined;
  for (const record of records) {
    if (until !== undefined && BigInt(record.offset) >= until) {
      full = true;
      break;
    }
    if (!checks.kept(record)) {
      filteredOut += 1;
      continue;
    }
    const size = checks.bytes(record) + (chosen.length > 0 ? 1 : 0);
    if (failureOf(record, limits, checks) !== undefined || chosen.length >= limits.batchSize || payloadBytes + size > limits.maxPayloadBytes) {
      full = true;
      break;
    }
    chosen.push(record);
    filteredWithin = filteredOut;
    payloadBytes += size;
  }
  return { kind: 'invoke', records: chosen, filteredOut: filteredWithin, full: full || chosen.length >= limits.batchSize, payloadBytes };
}
