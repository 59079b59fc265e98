/**
 * Processes one partition's records in offset order, with the idempotency protocol: claim,
 * then effect, then completion, a run of up to 25 claimed records at a time.
 *
 * Round trips are kept low: the batch's COMPLETED keys were read up front (one BatchGetItem
 * per 100 records), so a duplicate costs no request here; claims for the next records are
 * issued ahead of processing (up to `claimsAhead`) so their latency overlaps the effects; the
 * claimed records are applied in runs (the default processor writes a run with one
 * BatchWriteItem), and each run's completions are written together right after it (one
 * BatchWriteItem while the claims have most of their lease left). A new record thus costs
 * its conditional claim and about two twenty-fifths of a request. When the partition stops
 * on a failure, the claims issued ahead are released so that the retry can take them at
 * once. A record is counted as done only once its completion is written.
 *
 * What clears by itself is waited out while the invocation has time (see {@link ./patience}):
 * a key another invocation holds (it completes it, or its lease runs out after a crash), a
 * store that cannot be reached, a processor error marked retriable. Before each pause the
 * completions held back are written and the claims issued ahead are released (issued again
 * afterwards); a claim by the same owner renews its lease. Once the deadline has passed no
 * new record is started.
 *
 * Each partition worker is its own owner (`<invocation>/<topic-partition>`), so the same
 * message in two partitions of one event is claimed once: the other partition waits for it
 * like for another invocation. Claims are fenced (see {@link ./lease}): renewed before an
 * effect when half their lease is gone, renewed while the effect runs, and completed only
 * while still owned.
 *
 * The parts: {@link ./record-plan} decides from the batch read, {@link ./claim-window} issues
 * claims ahead, {@link ./schema-decoding} decodes a record's schema'd key and value when the
 * partition reaches it (a registry outage stops this partition at that record, no other),
 * {@link ./record-step} takes a record to its claim, {@link ./run-step} applies
 * a run of claimed records (their leases kept by {@link ./lease-keeper}),
 * {@link ./completion-writer} writes completions; this file wires them together and reports
 * where the partition stopped.
 */
import type { Clock } from '../clock';
import { errorFields, type Logger } from '../logger';
import type { ConsumeClaimStore, FencedCompletionStore, IdempotencyRecord, IdempotencyStore } from '../idempotency/types';
import { DEADLINE_REACHED, HELD_BY_ANOTHER } from './failure-reason';
import { createClaimWindow, type ClaimWindow } from './claim-window';
import { createClaimer, type Claimer } from './claimer';
import { createCompletionWriter, type CompletionWriter } from './completion-writer';
import { entryOffset, type DecodedPartition } from './event';
import type { Every } from './lease';
import { createLeaseKeeper } from './lease-keeper';
import { NO_VERIFIED_CALLER, type CallerCheck } from './message-id';
import { createPatience, type Patience, type Sleep } from './patience';
import { RUN_LIMIT, type RecordProcessor } from './processor';
import { firstStopIndex, identifyEntries, planPartition, type ClaimPlan, type Failure, type RecordIdentity, type RecordPlan } from './record-plan';
import { acquireRecord, type RecordStepDeps } from './record-step';
import { applyRun, type RunMember, type RunStepDeps } from './run-step';
import { decodeRecord, type RecordDecoder } from './schema-decoding';

/** What the consumer needs of the idempotency store: claims, reads, releases, abandons and completions. */
export type ConsumeStore = IdempotencyStore & FencedCompletionStore & ConsumeClaimStore;

/** What a partition worker needs; the same for every partition of a batch. */
export interface PartitionWorkerDeps {
  store: ConsumeStore;
  processor: RecordProcessor;
  clock: Clock;
  logger: Logger;
  /** The invocation's id; with the partition it names the owner of the worker's claims. */
  invocationId: string;
  /** Consumer scope prefixed to every idempotency key. */
  scope: string;
  leaseMs: number;
  ttlSeconds: number;
  /** How many claims may be in flight ahead of the record being processed. */
  claimsAhead: number;
  /** Keys read for the whole batch before processing (absent = never seen). */
  known: ReadonlyMap<string, IdempotencyRecord>;
  /** Until when the worker may wait out held keys and transient errors; undefined = never wait. */
  waitDeadlineMs?: number;
  sleep: Sleep;
  /** Schedules claim renewals while an effect runs; defaults to a real interval. */
  every?: Every;
  /** Told of the record at which the partition stops, with the reason. */
  onRecordFailed?: (failure: RecordFailure) => void;
  /** Verifies caller headers when the worker works out identities itself; default: none verifies. */
  checkCaller?: CallerCheck;
  /** Decodes each record's schema'd key and value when the partition reaches it; without it records keep their bytes only. */
  decoder?: RecordDecoder;
}

/** The record at which a partition stopped, and why. */
export interface RecordFailure {
  topic: string;
  partition: number;
  offset: number;
  reason: string;
}

/** What happened to one partition. */
export interface PartitionOutcome {
  partitionKey: string;
  /** Offsets of the partition's records, ascending. */
  offsets: number[];
  /** Records whose effect ran and whose completion was written. */
  processed: number;
  /** Records skipped because their key was already COMPLETED. */
  skippedDuplicates: number;
  /** Offset of the first record not done; undefined when all are done. */
  firstFailedOffset?: number;
  /** Why the record at `firstFailedOffset` failed (see `./failure-reason`). */
  stopReason?: string;
}

/** Where the partition stops: the lowest index failed so far, each failure logged and told as found. */
export interface StopLog {
  failedIndex(): number | undefined;
  /** The reason of the record at {@link StopLog.failedIndex}. */
  stopReason(): string | undefined;
  /**
   * Records that the record at `index` failed. The partition stops at the lowest such index;
   * only a failure that moves the stop earlier is told to `onRecordFailed` (its reason is the
   * one the report carries), while every failure is logged under its own record's offset.
   */
  fail(index: number, failure: Failure): void;
}

/** A {@link StopLog} for one partition. */
export function createStopLog(partition: DecodedPartition, offsets: readonly number[], deps: Pick<PartitionWorkerDeps, 'logger' | 'onRecordFailed'>): StopLog {
  let failedIndex: number | undefined;
  let stopReason: string | undefined;
  return {
    failedIndex: () => failedIndex,
    stopReason: () => stopReason,
    fail(index, { reason, error }) {
      const offset = offsets[index] as number;
      if (failedIndex === undefined || index < failedIndex) {
        failedIndex = index;
        stopReason = reason;
        deps.onRecordFailed?.({ topic: partition.topic, partition: partition.partition, offset, reason });
      }
      deps.logger.warn('record failed', {
        partition: partition.partitionKey,
        offset,
        reason,
        ...(error === undefined ? {} : errorFields(error)),
      });
    },
  };
}

/** The units working on one partition. */
interface PartitionRun {
  plans: RecordPlan[];
  /** Index of the first record that fails before any request; -1 when none. */
  stopIndex: number;
  /** The records before this index are worked on (the stop, or all of them). */
  end: number;
  claimer: Claimer;
  window: ClaimWindow;
  completions: CompletionWriter;
  patience: Patience;
  step: RecordStepDeps;
  runStep: RunStepDeps;
  stops: StopLog;
}

function startRun(
  partition: DecodedPartition,
  deps: PartitionWorkerDeps,
  offsets: readonly number[],
  identities: readonly (RecordIdentity | undefined)[],
): PartitionRun {
  const { store, clock } = deps;
  // One owner per partition worker: two partitions of one event never share a claim.
  const owner = `${deps.invocationId}/${partition.partitionKey}`;
  const canWait = deps.waitDeadlineMs !== undefined;
  const patience = createPatience(clock, deps.waitDeadlineMs, deps.sleep);
  const plans = planPartition(partition.entries, identities, deps.known, owner, clock.nowMs());
  // Without time to wait, a key known to be held stops the partition before any request for it.
  const stopIndex = firstStopIndex(plans, canWait);
  const end = stopIndex === -1 ? plans.length : stopIndex;
  const claimer = createClaimer({ store, clock, owner, leaseMs: deps.leaseMs, ttlSeconds: deps.ttlSeconds });
  const lease = createLeaseKeeper({ claimer, clock, leaseMs: deps.leaseMs, every: deps.every });
  const completions = createCompletionWriter({
    store,
    clock,
    owner,
    ttlSeconds: deps.ttlSeconds,
    leaseMs: deps.leaseMs,
    leaseExpiresAtMs: claimer.leaseExpiresAtMs,
  });
  return {
    plans,
    stopIndex,
    end,
    claimer,
    window: createClaimWindow(plans, end, deps.claimsAhead, claimer),
    completions,
    patience,
    step: { store, clock, claimer, lease, patience, canWait },
    runStep: {
      processor: deps.processor,
      clock,
      claimer,
      lease,
      patience,
      invocationId: deps.invocationId,
      // Stryker disable next-line ConditionalExpression: `{ waitDeadlineMs: undefined }` and `{}` are the same to the run step, which reads `!== undefined`.
      ...(deps.waitDeadlineMs === undefined ? {} : { waitDeadlineMs: deps.waitDeadlineMs }),
      onApplied: (members) => {
        for (const { index, plan } of members) completions.add({ index, key: plan.key, hash: plan.hash });
      },
    },
    stops: createStopLog(partition, offsets, deps),
  };
}

/**
 * Before a pause, hands back what another invocation may need meanwhile: the completions
 * not yet written (so that one waiting on a record done here sees it COMPLETED) and the
 * claims issued for records not yet reached, those after the first `keep` claimed (released;
 * issued again when reached). Two invocations given the same batch could otherwise each wait
 * on a key the other holds until a lease runs out, and the record would be processed twice.
 */
async function handBackBeforePause(run: PartitionRun, keep: number): Promise<void> {
  run.completions.flush();
  await run.window.handBack(keep);
}

/**
 * Applies the claimed records gathered so far as one run and writes their completions;
 * resolves false when the partition stops in it. A pause in the run hands back the claims
 * after the first `keep`.
 */
async function applyGathered(run: PartitionRun, gathered: RunMember[], keep: number): Promise<boolean> {
  // Stryker disable next-line ConditionalExpression: speed only; a run of no records applies nothing and stops nowhere.
  if (gathered.length === 0) return true;
  const members = gathered.splice(0);
  const stop = await applyRun(members, run.runStep, () => handBackBeforePause(run, keep));
  // Stryker disable next-line CallExpression: timing only; what is not flushed here is written before the next pause or at the end.
  run.completions.flush();
  if (stop === undefined) return true;
  run.stops.fail(stop.index, stop.failure);
  return false;
}

/** Takes the records before the known stop through their effects, in order and in runs; resolves with the duplicates skipped. */
async function runRecords(run: PartitionRun, deps: PartitionWorkerDeps): Promise<number> {
  const { plans, stops, end } = run;
  const { clock } = deps;
  let skippedDuplicates = 0;
  let position = 0;
  const gathered: RunMember[] = [];
  for (let i = 0; i < end; i += 1) {
    const plan = plans[i] as RecordPlan;
    if (plan.kind === 'duplicate') {
      skippedDuplicates += 1;
      continue;
    }
    // Stryker disable next-line ConditionalExpression: every plan before `end` (the first invalid one, if any) is a claim or a duplicate.
    if (plan.kind !== 'claim') break;
    // Past the deadline the time left is for completions and the answer: no new records.
    // Stryker disable next-line ConditionalExpression: a comparison with an undefined deadline is false; the check is for the type checker (the deadline itself is pinned in partition-worker.test.ts).
    if (deps.waitDeadlineMs !== undefined && clock.nowMs() >= deps.waitDeadlineMs) {
      if (await applyGathered(run, gathered, position)) stops.fail(i, { reason: DEADLINE_REACHED });
      return skippedDuplicates;
    }
    const at = position;
    // Before a pause, the run gathered so far is applied: nothing claimed here waits unapplied.
    // The record in hand keeps its claim (it is the one being waited for); those after it do not.
    const handBackAfter = (keep: number) => async (): Promise<boolean> => {
      if (!(await applyGathered(run, gathered, keep))) return false;
      await handBackBeforePause(run, keep);
      return true;
    };
    let claimed: ClaimPlan = plan;
    if (deps.decoder !== undefined) {
      // Decoded before its claim: a record waiting for the registry holds no claim, and the
      // records before it are applied before the first pause rather than waiting with it.
      const decoding = await decodeRecord(plan.record, deps.decoder, run.patience, handBackAfter(at));
      if (decoding.kind === 'given-up') return skippedDuplicates;
      if (decoding.kind === 'failed') {
        if (await applyGathered(run, gathered, at)) stops.fail(i, decoding.failure);
        return skippedDuplicates;
      }
      claimed = { ...plan, record: decoding.record };
    }
    const result = await acquireRecord(plan, run.window.claimAt(i, at, clock.nowMs()), run.step, handBackAfter(at + 1));
    position += 1;
    if (result.kind === 'given-up') return skippedDuplicates;
    if (result.kind === 'duplicate') {
      skippedDuplicates += 1;
      continue;
    }
    if (result.kind === 'failed') {
      if (await applyGathered(run, gathered, at)) stops.fail(i, result.failure);
      return skippedDuplicates;
    }
    gathered.push({ index: i, plan: claimed });
    if (gathered.length === RUN_LIMIT && !(await applyGathered(run, gathered, position))) return skippedDuplicates;
  }
  await applyGathered(run, gathered, position);
  return skippedDuplicates;
}

/** Writes the completions, reports the records they fail, releases the claims left; resolves with the records processed. */
async function settle(run: PartitionRun, logger: Logger): Promise<number> {
  const { stops, claimer } = run;
  const report = await run.completions.finish(run.patience);
  for (const { index, failure } of report.failures) stops.fail(index, failure);
  // Our claims that will not be completed: the failed record's, those issued ahead of it,
  // and those whose completion could not be written.
  await run.window.settled();
  const written = new Set(report.written.map(({ key }) => key));
  const toRelease = claimer.heldKeys().filter((key) => !written.has(key) && !report.refusedKeys.has(key));
  // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only; releasing no keys sends nothing.
  if (toRelease.length > 0) {
    await claimer.release(toRelease).catch((error: unknown) => {
      logger.warn('release of unfinished claims failed; the keys free up when their lease expires', errorFields(error));
    });
  }
  const failedIndex = stops.failedIndex();
  return report.written.filter(({ index }) => failedIndex === undefined || index < failedIndex).length;
}

/**
 * Processes `partition`, whose entries' identities are `identities` (worked out by the batch
 * handler for its read, else here); never throws (every failure becomes the partition's
 * stopping point).
 */
export async function processPartition(
  partition: DecodedPartition,
  deps: PartitionWorkerDeps,
  identities: readonly (RecordIdentity | undefined)[] = identifyEntries(partition.entries, deps.scope, deps.checkCaller ?? NO_VERIFIED_CALLER),
): Promise<PartitionOutcome> {
  const offsets = partition.entries.map(entryOffset);
  const run = startRun(partition, deps, offsets, identities);
  const skippedDuplicates = await runRecords(run, deps);
  // Stryker disable next-line ConditionalExpression: a stop found during the records is before stopIndex; a later stop changes nothing (the stop log keeps the first) but a log line.
  if (run.stops.failedIndex() === undefined && run.stopIndex !== -1) {
    const plan = run.plans[run.stopIndex] as RecordPlan;
    run.stops.fail(run.stopIndex, plan.kind === 'invalid' ? plan.failure : { reason: HELD_BY_ANOTHER });
  }
  const processed = await settle(run, deps.logger);
  const outcome: PartitionOutcome = { partitionKey: partition.partitionKey, offsets, processed, skippedDuplicates };
  const failedIndex = run.stops.failedIndex();
  if (failedIndex !== undefined) outcome.firstFailedOffset = offsets[failedIndex] as number;
  const stopReason = run.stops.stopReason();
  if (stopReason !== undefined) outcome.stopReason = stopReason;
  return outcome;
}
