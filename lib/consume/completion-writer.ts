/**
 * Writes one owner's completions, a group at a time: the partition worker flushes the group
 * after each run of effects (at most 25 records), so a completion is never held back behind
 * later effects while its claim goes unrenewed. A completion whose claim has at least half
 * its lease left is written without a condition, all of them with one BatchWriteItem; the
 * others each with a write conditional on the owner still holding the claim (the fence, see
 * {@link ./lease}). A group that fails to write is written again while the invocation may wait.
 */
import type { Clock } from '../clock';
import { expiresAtEpochSec } from '../idempotency/keys';
import type { Completion, FencedCompletionStore, IdempotencyStore } from '../idempotency/types';
import { completionNeedsNoFence } from './lease';
import { CLAIM_LOST, COMPLETION_FAILED } from './failure-reason';
import type { Patience } from './patience';
import type { Failure } from './record-plan';

/** A record whose effect ran, to be written COMPLETED. */
export interface CompletionEntry {
  /** The record's index in its partition. */
  index: number;
  key: string;
  hash: string;
}

/** What became of the completions once written. */
export interface CompletionReport {
  /** Entries of the groups whose write went through (refused completions included). */
  written: CompletionEntry[];
  /** Keys whose completion was refused: the claim was no longer ours. */
  refusedKeys: Set<string>;
  /** Per group that failed or had a completion refused, in order: its first such record and why. */
  failures: { index: number; failure: Failure }[];
}

/** The completions of one owner; see {@link createCompletionWriter}. */
export interface CompletionWriter {
  /** Adds a record whose effect ran; a full group starts writing. */
  add(entry: CompletionEntry): void;
  /** Starts writing the group in hand, if any (before a pause). */
  flush(): void;
  /** Writes what is left, retries failed groups while `patience` allows, and reports. */
  finish(patience: Patience): Promise<CompletionReport>;
}

/** Collaborators of a {@link CompletionWriter}. */
export interface CompletionWriterDeps {
  store: FencedCompletionStore & Pick<IdempotencyStore, 'completeMany'>;
  clock: Clock;
  owner: string;
  ttlSeconds: number;
  leaseMs: number;
  /** Lease end (epoch ms) of a key the owner holds, undefined when it does not (the claimer's). */
  leaseExpiresAtMs(key: string): number | undefined;
}

// Completions written together: DynamoDB's BatchWriteItem limit.
const COMPLETIONS_PER_WRITE = 25;

/** Records whose effect ran, waiting to be written COMPLETED together. */
interface CompletionGroup {
  entries: CompletionEntry[];
  /** Resolves with the keys whose completion was refused (no longer ours). */
  write?: Promise<string[]>;
}

/** Creates the {@link CompletionWriter} of `deps.owner`. */
export function createCompletionWriter(deps: CompletionWriterDeps): CompletionWriter {
  const groups: CompletionGroup[] = [{ entries: [] }];
  const writeGroup = (group: CompletionGroup): void => {
    // Stryker disable next-line ConditionalExpression: an empty group sends nothing (both halves are empty); a group written once is pinned in completion-writer.test.ts.
    if (group.entries.length === 0 || group.write !== undefined) return;
    const nowMs = deps.clock.nowMs();
    const expiresAt = expiresAtEpochSec(nowMs, deps.ttlSeconds);
    const unfenced: Completion[] = [];
    const fenced: Completion[] = [];
    for (const { key, hash } of group.entries) {
      const completion = { key, owner: deps.owner, payloadHash: hash, expiresAtEpochSec: expiresAt };
      (completionNeedsNoFence(deps.leaseExpiresAtMs(key), nowMs, deps.leaseMs) ? unfenced : fenced).push(completion);
    }
    group.write = Promise.all([
      // Stryker disable next-line ConditionalExpression: speed only; a store sends no request for no completions.
      unfenced.length === 0 ? undefined : deps.store.completeMany(unfenced),
      fenced.length === 0 ? [] : deps.store.completeIfOwned(fenced),
    ]).then(([, refused]) => refused);
    // Observed at the end; until then a rejection must not count as unhandled.
    group.write.catch(() => {});
  };
  const current = (): CompletionGroup => groups[groups.length - 1] as CompletionGroup;
  const startNext = (): void => {
    writeGroup(current());
    groups.push({ entries: [] });
  };
  const settle = (): Promise<PromiseSettledResult<string[]>[]> => Promise.allSettled(groups.map((group) => group.write ?? Promise.resolve<string[]>([])));

  return {
    add(entry) {
      current().entries.push(entry);
      if (current().entries.length === COMPLETIONS_PER_WRITE) startNext();
    },
    flush() {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: starting after an empty group only adds another empty one, which writes nothing and settles as nothing refused.
      if (current().entries.length > 0) startNext();
    },
    async finish(patience) {
      for (const group of groups) writeGroup(group);
      let writes = await settle();
      while (writes.some((write) => write.status === 'rejected') && (await patience.pause())) {
        for (const [i, write] of writes.entries()) {
          if (write.status !== 'rejected') continue;
          const group = groups[i] as CompletionGroup;
          delete group.write;
          writeGroup(group);
        }
        writes = await settle();
      }
      return report(groups, writes);
    },
  };
}

/** Reads the settled writes of `groups` (one result per group, in order). */
function report(groups: readonly CompletionGroup[], writes: readonly PromiseSettledResult<string[]>[]): CompletionReport {
  const result: CompletionReport = { written: [], refusedKeys: new Set(), failures: [] };
  for (const [i, write] of writes.entries()) {
    const group = groups[i] as CompletionGroup;
    if (write.status === 'fulfilled') {
      result.written.push(...group.entries);
      for (const key of write.value) result.refusedKeys.add(key);
      // Taken over after the effect: the new owner completes it; this record is reported failed.
      const refused = group.entries.find(({ key }) => write.value.includes(key));
      if (refused !== undefined) result.failures.push({ index: refused.index, failure: { reason: CLAIM_LOST } });
      continue;
    }
    // The effects happened but are not recorded as done: report them failed. Their retry is
    // safe because the processor's effect is conditional on the message id.
    const first = group.entries[0] as CompletionEntry;
    result.failures.push({ index: first.index, failure: { reason: COMPLETION_FAILED, error: write.reason } });
  }
  return result;
}
