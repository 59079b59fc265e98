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
 */
import type { Clock } from '../clock';
import { errorFields, type Logger } from '../logger';
import { expiresAtEpochSec } from '../idempotency/keys';
import { IdempotencyStatus, type ClaimOutcome, type IdempotencyRecord, type IdempotencyStore } from '../idempotency/types';
import { entryOffset, type ConsumedRecord, type DecodedPartition } from './event';
import { consumeIdempotencyKey, messageIdOf } from './message-id';
import type { RecordProcessor } from './processor';

/** What a partition worker needs; the same for every partition of a batch. */
export interface PartitionWorkerDeps {
  store: IdempotencyStore;
  processor: RecordProcessor;
  clock: Clock;
  logger: Logger;
  /** The invocation's id; owner of its claims. */
  owner: string;
  /** Consumer scope prefixed to every idempotency key. */
  scope: string;
  leaseMs: number;
  ttlSeconds: number;
  /** How many claims may be in flight ahead of the record being processed. */
  claimsAhead: number;
  /** Keys read for the whole batch before processing (absent = never seen). */
  known: ReadonlyMap<string, IdempotencyRecord>;
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

type Step =
  | { kind: 'malformed' }
  | { kind: 'duplicate' }
  | { kind: 'held' }
  | { kind: 'claim'; record: ConsumedRecord; messageId: string; key: string };

type ClaimResult = { outcome: ClaimOutcome } | { error: unknown };

// BatchWriteItem's limit: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
const COMPLETIONS_PER_WRITE = 25;

/** Records whose effect ran, waiting to be written COMPLETED together. */
interface CompletionGroup {
  entries: { index: number; key: string }[];
  write?: Promise<void>;
}

/** Classifies each entry from what the batch read already tells. */
function plan(partition: DecodedPartition, deps: PartitionWorkerDeps, nowMs: number): Step[] {
  const seen = new Set<string>();
  return partition.entries.map((entry): Step => {
    if (!('record' in entry)) return { kind: 'malformed' };
    const messageId = messageIdOf(entry.record);
    const key = consumeIdempotencyKey(deps.scope, messageId);
    // The same message twice in one partition: the later copy is done once the first is.
    if (seen.has(key)) return { kind: 'duplicate' };
    seen.add(key);
    const known = deps.known.get(key);
    if (known?.status === IdempotencyStatus.Completed) return { kind: 'duplicate' };
    if (known?.status === IdempotencyStatus.InProgress && known.leaseExpiresAtMs >= nowMs) return { kind: 'held' };
    return { kind: 'claim', record: entry.record, messageId, key };
  });
}

/** Processes `partition`; never throws (every failure becomes the partition's stopping point). */
export async function processPartition(partition: DecodedPartition, deps: PartitionWorkerDeps): Promise<PartitionOutcome> {
  const { store, processor, clock, logger, owner } = deps;
  const offsets = partition.entries.map(entryOffset);
  const steps = plan(partition, deps, clock.nowMs());
  const staticStop = steps.findIndex((step) => step.kind === 'malformed' || step.kind === 'held');
  const end = staticStop === -1 ? steps.length : staticStop;

  // Claims are only issued for records before a stop already known from the plan.
  const claimIndexes: number[] = [];
  for (let i = 0; i < end; i += 1) if (steps[i]?.kind === 'claim') claimIndexes.push(i);
  const claims = new Map<number, Promise<ClaimResult>>();
  let issued = 0;
  const issueUpTo = (position: number): void => {
    for (; issued < claimIndexes.length && issued <= position; issued += 1) {
      const index = claimIndexes[issued] as number;
      const step = steps[index] as Extract<Step, { kind: 'claim' }>;
      const nowMs = clock.nowMs();
      claims.set(
        index,
        store
          .claim(
            { key: step.key, owner, leaseExpiresAtMs: nowMs + deps.leaseMs, expiresAtEpochSec: expiresAtEpochSec(nowMs, deps.ttlSeconds) },
            nowMs,
          )
          .then(
            (outcome): ClaimResult => ({ outcome }),
            (error: unknown): ClaimResult => ({ error }),
          ),
      );
    }
  };

  let failedIndex: number | undefined;
  let skippedDuplicates = 0;
  const groups: CompletionGroup[] = [{ entries: [] }];
  const writeGroup = (group: CompletionGroup): void => {
    if (group.entries.length === 0 || group.write !== undefined) return;
    const expiresAt = expiresAtEpochSec(clock.nowMs(), deps.ttlSeconds);
    group.write = store.completeMany(group.entries.map(({ key }) => ({ key, owner, expiresAtEpochSec: expiresAt })));
    // Observed at the end; until then a rejection must not count as unhandled.
    group.write.catch(() => {});
  };
  const fail = (index: number, reason: string, error?: unknown): void => {
    failedIndex = index;
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
    issueUpTo(position + deps.claimsAhead);
    position += 1;
    const result = await (claims.get(i) as Promise<ClaimResult>);
    if ('error' in result) {
      fail(i, 'claim failed', result.error);
      break;
    }
    if (!result.outcome.claimed) {
      // DynamoDB returns the item that failed the condition; dynalite does not, and an
      // unknown holder is treated like a live one: failing is safe, the retry reads again.
      if (result.outcome.existing?.status === IdempotencyStatus.Completed) {
        skippedDuplicates += 1;
        continue;
      }
      fail(i, 'held by another invocation');
      break;
    }
    try {
      await processor.process(step.record, { messageId: step.messageId, invocationId: owner });
      const group = groups[groups.length - 1] as CompletionGroup;
      group.entries.push({ index: i, key: step.key });
      if (group.entries.length === COMPLETIONS_PER_WRITE) {
        writeGroup(group);
        groups.push({ entries: [] });
      }
    } catch (error) {
      fail(i, 'processor failed', error);
      break;
    }
  }
  if (failedIndex === undefined && staticStop !== -1) {
    const step = steps[staticStop] as Step;
    if (step.kind === 'malformed') {
      const entry = partition.entries[staticStop];
      fail(staticStop, 'malformed record', entry !== undefined && 'malformed' in entry ? entry.malformed.error : undefined);
    } else {
      fail(staticStop, 'held by another invocation');
    }
  }

  // Our claims that will not be completed: the failed record's and those issued ahead of it.
  const settled = await Promise.all([...claims.entries()].map(async ([index, claim]) => ({ index, result: await claim })));
  const completedIndexes = new Set(groups.flatMap((group) => group.entries.map(({ index }) => index)));
  const toRelease = settled
    .filter(({ index, result }) => !completedIndexes.has(index) && 'outcome' in result && result.outcome.claimed)
    .map(({ index }) => (steps[index] as Extract<Step, { kind: 'claim' }>).key);

  for (const group of groups) writeGroup(group);
  const [writes, release] = await Promise.all([
    Promise.allSettled(groups.map((group) => group.write ?? Promise.resolve())),
    Promise.allSettled([toRelease.length === 0 ? Promise.resolve() : store.releaseMany(toRelease, owner)]).then(([result]) => result),
  ]);
  const unwritten = groups.filter((_, i) => writes[i]?.status === 'rejected');
  for (const [i, write] of writes.entries()) {
    if (write.status !== 'rejected') continue;
    // The effects happened but are not recorded as done: report them failed. Their retry is
    // safe because the processor's effect is conditional on the message id.
    const first = (groups[i] as CompletionGroup).entries[0] as { index: number };
    fail(Math.min(first.index, failedIndex ?? first.index), 'completion failed', write.reason);
  }
  if (unwritten.length > 0) {
    const keys = unwritten.flatMap((group) => group.entries.map(({ key }) => key));
    await store.releaseMany(keys, owner).catch((error: unknown) => {
      logger.warn('release after failed completion failed; the keys free up when their lease expires', errorFields(error));
    });
  }
  const processed = groups
    .filter((_, i) => writes[i]?.status === 'fulfilled')
    .reduce((sum, group) => sum + group.entries.filter(({ index }) => failedIndex === undefined || index < failedIndex).length, 0);
  if (release?.status === 'rejected') {
    logger.warn('release of unprocessed claims failed; the keys free up when their lease expires', errorFields(release.reason));
  }
  const outcome: PartitionOutcome = { partitionKey: partition.partitionKey, offsets, processed, skippedDuplicates };
  if (failedIndex !== undefined) outcome.firstFailedOffset = offsets[failedIndex] as number;
  return outcome;
}
