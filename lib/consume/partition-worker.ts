/**
 * Processes one partition's records strictly one after another in offset order, with the
 * idempotency protocol: claim, then effect, then completion.
 *
 * Round trips are kept low: the batch's COMPLETED keys were read up front (one BatchGetItem
 * per 100 records), so a duplicate costs no request here; claims for the next records are
 * issued ahead of processing (up to `claimsAhead`) so their latency overlaps the effects;
 * completions are written 25 at a time (one BatchWriteItem), in the background as each group
 * fills and for the rest when the partition ends, which keeps the time between an effect and
 * its completion short without costing a request more. When the partition stops on a
 * failure, the claims issued ahead are released so that the retry can take them at once.
 * A record is counted as done only once its completion is written.
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
 */
import type { Clock } from '../clock';
import { errorFields, type Logger } from '../logger';
import { expiresAtEpochSec } from '../idempotency/keys';
import {
  IdempotencyStatus,
  type ClaimOutcome,
  type FencedCompletionStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from '../idempotency/types';
import { entryOffset, type ConsumedRecord, type DecodedPartition } from './event';
import { realEvery, renewalDue, renewEveryMs, type Every } from './lease';
import { consumeIdempotencyKey, isSamePayload, messageIdentityOf, recordPayloadHash, MESSAGE_ID_REUSED } from './message-id';
import { createPatience, isTransient, type Patience, type Sleep } from './patience';
import type { RecordProcessor } from './processor';

/** What the consumer needs of the idempotency store: claims, reads, releases and fenced completions. */
export type ConsumeStore = IdempotencyStore & FencedCompletionStore;

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
}

/** Why a record was not done, for the log and the report. */
interface Failure {
  reason: string;
  error?: unknown;
}

type Step =
  /** Known to fail before any request: a malformed record, or a message id reused with another payload. */
  | { kind: 'invalid'; failure: Failure }
  | { kind: 'duplicate' }
  /** To claim; `held` when the batch read found it under another owner's live lease. */
  | { kind: 'claim'; record: ConsumedRecord; messageId: string; callerId?: string; key: string; hash: string; held?: IdempotencyRecord };

type ClaimStep = Extract<Step, { kind: 'claim' }>;

type ClaimResult = { outcome: ClaimOutcome } | { error: unknown };

// Completions written together (each one conditional: a PutItem of its own).
const COMPLETIONS_PER_WRITE = 25;

/** Why a record fails when its claim was taken over while, or after, its effect ran. */
const CLAIM_LOST = 'claim lost: its lease ran out and another invocation took the message over';

/** Records whose effect ran, waiting to be written COMPLETED together. */
interface CompletionGroup {
  entries: { index: number; key: string; hash: string }[];
  /** Resolves with the keys whose completion was refused (no longer ours). */
  write?: Promise<string[]>;
}

const reused = (): Step => ({ kind: 'invalid', failure: { reason: MESSAGE_ID_REUSED } });

/** Classifies each entry from what the batch read already tells. */
function plan(partition: DecodedPartition, deps: PartitionWorkerDeps, owner: string, nowMs: number): Step[] {
  const seen = new Map<string, string>();
  return partition.entries.map((entry): Step => {
    if (!('record' in entry)) return { kind: 'invalid', failure: { reason: 'malformed record', error: entry.malformed.error } };
    const { messageId, callerId } = messageIdentityOf(entry.record);
    const key = consumeIdempotencyKey(deps.scope, messageId);
    const hash = recordPayloadHash(entry.record);
    // The same message twice in one partition: the later copy is done once the first is;
    // the same id with another payload is not the same message.
    const earlier = seen.get(key);
    if (earlier !== undefined) return earlier === hash ? { kind: 'duplicate' } : reused();
    seen.set(key, hash);
    const known = deps.known.get(key);
    if (known?.status === IdempotencyStatus.Completed) return isSamePayload(known.payloadHash, hash) ? { kind: 'duplicate' } : reused();
    const step: Step = { kind: 'claim', record: entry.record, messageId, key, hash };
    if (callerId !== undefined) step.callerId = callerId;
    if (known?.status === IdempotencyStatus.InProgress && known.leaseExpiresAtMs >= nowMs && known.owner !== owner) step.held = known;
    return step;
  });
}

type RecordResult = { kind: 'done' } | { kind: 'duplicate' } | { kind: 'failed'; failure: Failure };

/** Processes `partition`; never throws (every failure becomes the partition's stopping point). */
export async function processPartition(partition: DecodedPartition, deps: PartitionWorkerDeps): Promise<PartitionOutcome> {
  const { store, processor, clock, logger } = deps;
  // One owner per partition worker: two partitions of one event never share a claim.
  const owner = `${deps.invocationId}/${partition.partitionKey}`;
  const every = deps.every ?? realEvery;
  const patience: Patience = createPatience(clock, deps.waitDeadlineMs, deps.sleep);
  const offsets = partition.entries.map(entryOffset);
  const steps = plan(partition, deps, owner, clock.nowMs());
  // Without time to wait, a key known to be held stops the partition before any request for it.
  const staticStop = steps.findIndex(
    (step) => step.kind === 'invalid' || (deps.waitDeadlineMs === undefined && step.kind === 'claim' && step.held !== undefined),
  );
  const end = staticStop === -1 ? steps.length : staticStop;

  /** Keys this worker holds IN_PROGRESS (claimed, not yet completed or released), with their lease end. */
  const owned = new Map<string, number>();
  const claimKey = (step: ClaimStep): Promise<ClaimResult> => {
    const nowMs = clock.nowMs();
    const leaseExpiresAtMs = nowMs + deps.leaseMs;
    const { key, hash } = step;
    return store
      .claim({ key, owner, payloadHash: hash, leaseExpiresAtMs, expiresAtEpochSec: expiresAtEpochSec(nowMs, deps.ttlSeconds) }, nowMs)
      .then(
        (outcome): ClaimResult => {
          if (outcome.claimed) owned.set(key, leaseExpiresAtMs);
          else owned.delete(key);
          return { outcome };
        },
        (error: unknown): ClaimResult => ({ error }),
      );
  };

  /**
   * Renews `step`'s claim every third of the lease while its effect runs. `lost()` tells
   * whether a renewal found the key taken over; a renewal that fails to reach the store is
   * tried again at the next tick (the completion is fenced in any case).
   */
  const keepAlive = (step: ClaimStep): { lost(): boolean; stop(): Promise<void> } => {
    let lost = false;
    let renewal: Promise<void> | undefined;
    const cancel = every(renewEveryMs(deps.leaseMs), () => {
      if (renewal !== undefined || lost) return;
      renewal = claimKey(step).then((result) => {
        if ('outcome' in result && !result.outcome.claimed) lost = true;
        renewal = undefined;
      });
    });
    return {
      lost: () => lost,
      stop: async () => {
        cancel();
        await renewal;
      },
    };
  };

  // Claims are issued ahead, in order, only for records before a stop known from the plan,
  // and not past a key known to be held: that one is waited for when reached.
  const claimIndexes: number[] = [];
  for (let i = 0; i < end; i += 1) if (steps[i]?.kind === 'claim') claimIndexes.push(i);
  const claims = new Map<number, Promise<ClaimResult>>();
  let issued = 0;
  const issueFor = (position: number): void => {
    for (; issued < claimIndexes.length && issued <= position + deps.claimsAhead; issued += 1) {
      const index = claimIndexes[issued] as number;
      const step = steps[index] as ClaimStep;
      if (step.held !== undefined) {
        if (issued > position) return;
        continue;
      }
      claims.set(index, claimKey(step));
    }
  };
  const groups: CompletionGroup[] = [{ entries: [] }];
  const writeGroup = (group: CompletionGroup): void => {
    if (group.entries.length === 0 || group.write !== undefined) return;
    const expiresAt = expiresAtEpochSec(clock.nowMs(), deps.ttlSeconds);
    group.write = store.completeIfOwned(group.entries.map(({ key, hash }) => ({ key, owner, payloadHash: hash, expiresAtEpochSec: expiresAt })));
    // Observed at the end; until then a rejection must not count as unhandled.
    group.write.catch(() => {});
  };

  /**
   * Before a pause, hands back what another invocation may need meanwhile: the completions
   * not yet written (so that one waiting on a record done here sees it COMPLETED) and the
   * claims issued beyond `position` (released; issued again when reached). Two invocations
   * given the same batch could otherwise each wait on a key the other holds until a lease
   * runs out, and the record would be processed twice.
   */
  const handBackBeforePause = async (position: number): Promise<void> => {
    const current = groups[groups.length - 1] as CompletionGroup;
    if (current.entries.length > 0) {
      writeGroup(current);
      groups.push({ entries: [] });
    }
    const ahead = claimIndexes.slice(position + 1, issued);
    await Promise.all(ahead.map((index) => claims.get(index)));
    for (const index of ahead) claims.delete(index);
    issued = Math.min(issued, position + 1);
    const release = ahead.map((index) => (steps[index] as ClaimStep).key).filter((key) => owned.has(key));
    if (release.length === 0) return;
    try {
      await store.releaseMany(release, owner);
      for (const key of release) owned.delete(key);
    } catch {
      // The store is failing (the likely reason for the pause): the keys stay ours, and the
      // next claim by this owner renews them.
    }
  };

  /** A record found COMPLETED: a duplicate when it is the same payload, else a failure. */
  const completed = (step: ClaimStep, existing: IdempotencyRecord): RecordResult =>
    isSamePayload(existing.payloadHash, step.hash) ? duplicate() : { kind: 'failed', failure: { reason: MESSAGE_ID_REUSED } };

  /** Runs the effect under `step`'s claim, kept alive meanwhile; 'lost' when the claim was taken over. */
  const runEffect = async (step: ClaimStep): Promise<'done' | 'lost'> => {
    const alive = keepAlive(step);
    try {
      const context = { messageId: step.messageId, invocationId: deps.invocationId, ...(step.callerId === undefined ? {} : { callerId: step.callerId }) };
      await processor.process(step.record, context);
    } finally {
      await alive.stop();
    }
    return alive.lost() ? 'lost' : 'done';
  };

  /** Takes one record from its claim through its effect, waiting out what clears by itself. */
  const runRecord = async (step: ClaimStep, position: number, first: Promise<ClaimResult>): Promise<RecordResult> => {
    let claim: Promise<ClaimResult> | undefined = first;
    let failure: Failure = { reason: 'held by another invocation' };
    let pauseFirst = false;
    let renewed = false;
    for (;;) {
      if (pauseFirst) {
        await handBackBeforePause(position);
        if (!(await patience.pause())) return { kind: 'failed', failure };
      }
      pauseFirst = true;
      let looked = false;
      if (claim === undefined) {
        // Look before writing: a completed key needs no claim, a held one is not worth a write.
        looked = true;
        try {
          const nowMs = clock.nowMs();
          const seen = (await store.getMany([step.key], nowMs)).get(step.key);
          if (seen?.status === IdempotencyStatus.Completed) return completed(step, seen);
          if (seen !== undefined && seen.owner !== owner && seen.leaseExpiresAtMs >= nowMs) {
            failure = { reason: 'held by another invocation' };
            continue;
          }
        } catch (error) {
          failure = { reason: 'claim failed', error };
          continue;
        }
        claim = claimKey(step);
      }
      const result = await claim;
      claim = undefined;
      if ('error' in result) {
        failure = { reason: 'claim failed', error: result.error };
        continue;
      }
      if (!result.outcome.claimed) {
        if (result.outcome.existing?.status === IdempotencyStatus.Completed) return completed(step, result.outcome.existing);
        failure = { reason: 'held by another invocation' };
        // DynamoDB returns the item that failed the condition; dynalite does not. When waiting
        // is possible, look at once rather than pause: the holder may be done already.
        if (result.outcome.existing === undefined && deps.waitDeadlineMs !== undefined && !looked) pauseFirst = false;
        continue;
      }
      // No effect starts on a claim with little lease left (issued ahead, it may have waited
      // behind slow effects): it is renewed first, once per attempt.
      const leaseExpiresAtMs = owned.get(step.key) ?? 0;
      if (!renewed && renewalDue(leaseExpiresAtMs, clock.nowMs(), deps.leaseMs)) {
        renewed = true;
        claim = claimKey(step);
        pauseFirst = false;
        continue;
      }
      renewed = false;
      try {
        if ((await runEffect(step)) === 'lost') {
          return { kind: 'failed', failure: { reason: CLAIM_LOST } };
        }
        patience.reset();
        return { kind: 'done' };
      } catch (error) {
        failure = { reason: 'processor failed', error };
        if (!isTransient(error)) return { kind: 'failed', failure };
      }
    }
  };
  /** A record found done by someone else: progress, so the next wait starts short again. */
  const duplicate = (): RecordResult => {
    patience.reset();
    return { kind: 'duplicate' };
  };

  let failedIndex: number | undefined;
  let skippedDuplicates = 0;
  const fail = (index: number, { reason, error }: Failure): void => {
    failedIndex = index;
    deps.onRecordFailed?.({ topic: partition.topic, partition: partition.partition, offset: offsets[index] as number, reason });
    logger.warn('record failed', {
      partition: partition.partitionKey,
      offset: offsets[index],
      reason,
      ...(error === undefined ? {} : errorFields(error)),
    });
  };

  let position = 0;
  for (let i = 0; i < end; i += 1) {
    const step = steps[i] as Step;
    if (step.kind === 'duplicate') {
      skippedDuplicates += 1;
      continue;
    }
    if (step.kind !== 'claim') break;
    // Past the deadline the time left is for completions and the answer: no new records.
    if (deps.waitDeadlineMs !== undefined && clock.nowMs() >= deps.waitDeadlineMs) {
      fail(i, { reason: 'invocation deadline reached' });
      break;
    }
    const held = step.held !== undefined && step.held.leaseExpiresAtMs >= clock.nowMs() ? step.held : undefined;
    // Nothing is claimed ahead of a held key until it has been waited for.
    if (held === undefined) issueFor(position);
    const first = claims.get(i) ?? (held === undefined ? claimKey(step) : Promise.resolve<ClaimResult>({ outcome: { claimed: false, existing: held } }));
    const result = await runRecord(step, position, first);
    position += 1;
    if (result.kind === 'duplicate') {
      skippedDuplicates += 1;
      continue;
    }
    if (result.kind === 'failed') {
      fail(i, result.failure);
      break;
    }
    const group = groups[groups.length - 1] as CompletionGroup;
    group.entries.push({ index: i, key: step.key, hash: step.hash });
    if (group.entries.length === COMPLETIONS_PER_WRITE) {
      writeGroup(group);
      groups.push({ entries: [] });
    }
  }
  if (failedIndex === undefined && staticStop !== -1) {
    const step = steps[staticStop] as Step;
    fail(staticStop, step.kind === 'invalid' ? step.failure : { reason: 'held by another invocation' });
  }

  // Completions: a group that failed to write is written again while there is time.
  for (const group of groups) writeGroup(group);
  const noWrite = Promise.resolve<string[]>([]);
  let writes = await Promise.allSettled(groups.map((group) => group.write ?? noWrite));
  while (writes.some((write) => write.status === 'rejected') && (await patience.pause())) {
    for (const [i, write] of writes.entries()) {
      if (write.status !== 'rejected') continue;
      const group = groups[i] as CompletionGroup;
      delete group.write;
      writeGroup(group);
    }
    writes = await Promise.allSettled(groups.map((group) => group.write ?? noWrite));
  }
  const refusedKeys = new Set<string>();
  for (const [i, write] of writes.entries()) {
    const group = groups[i] as CompletionGroup;
    if (write.status === 'fulfilled') {
      // Taken over after the effect: the new owner completes it; this record is reported failed.
      const refused = group.entries.find(({ key }) => write.value.includes(key));
      for (const key of write.value) refusedKeys.add(key);
      if (refused !== undefined) fail(Math.min(refused.index, failedIndex ?? refused.index), { reason: CLAIM_LOST });
      continue;
    }
    // The effects happened but are not recorded as done: report them failed. Their retry is
    // safe because the processor's effect is conditional on the message id.
    const first = group.entries[0] as { index: number };
    fail(Math.min(first.index, failedIndex ?? first.index), { reason: 'completion failed', error: write.reason });
  }

  // Our claims that will not be completed: the failed record's, those issued ahead of it,
  // and those whose completion could not be written.
  await Promise.all(claims.values());
  const written = new Set(groups.filter((_, i) => writes[i]?.status === 'fulfilled').flatMap((group) => group.entries.map(({ key }) => key)));
  const toRelease = [...owned.keys()].filter((key) => !written.has(key) && !refusedKeys.has(key));
  if (toRelease.length > 0) {
    await store.releaseMany(toRelease, owner).catch((error: unknown) => {
      logger.warn('release of unfinished claims failed; the keys free up when their lease expires', errorFields(error));
    });
  }
  const processed = groups
    .filter((_, i) => writes[i]?.status === 'fulfilled')
    .reduce((sum, group) => sum + group.entries.filter(({ index }) => failedIndex === undefined || index < failedIndex).length, 0);
  const outcome: PartitionOutcome = { partitionKey: partition.partitionKey, offsets, processed, skippedDuplicates };
  if (failedIndex !== undefined) outcome.firstFailedOffset = offsets[failedIndex] as number;
  return outcome;
}
