/**
 * Takes one record from its claim through its effect: skips it when its key turns out done,
 * waits out what clears by itself (a key another invocation holds, a store that cannot be
 * reached, a processor error marked retriable) while the invocation has time, renews a claim
 * with little lease left before the effect, and fails the record when its claim was lost.
 * Its completion is left to the caller.
 */
import type { Clock } from '../clock';
import type { IdempotencyRecord, IdempotencyStore } from '../idempotency/types';
import { claimVerdict, lookVerdict, type ClaimResult, type ClaimVerdict } from './claim-verdict';
import { CLAIM_FAILED, CLAIM_LOST, HELD_BY_ANOTHER, PROCESSOR_FAILED } from './failure-reason';
import type { Claimer } from './claimer';
import type { LeaseKeeper } from './lease-keeper';
import { isTransient, type Patience } from './patience';
import type { RecordProcessor } from './processor';
import type { ClaimPlan, Failure } from './record-plan';

/** What became of one record: its effect ran (its completion is still to write), it was done already, or it failed. */
export type RecordResult = { kind: 'done' } | { kind: 'duplicate' } | { kind: 'failed'; failure: Failure };

/** Collaborators of {@link runRecord}, the same for every record of a partition. */
export interface RecordStepDeps {
  store: Pick<IdempotencyStore, 'getMany'>;
  processor: RecordProcessor;
  clock: Clock;
  claimer: Claimer;
  lease: LeaseKeeper;
  patience: Patience;
  /** Whether the invocation may wait (it has a known deadline). */
  canWait: boolean;
  invocationId: string;
}

/** Looks at the key before claiming it: a completed key needs no claim, a held one is not worth a write. */
async function lookThenClaim(plan: ClaimPlan, deps: RecordStepDeps): Promise<ClaimVerdict> {
  const nowMs = deps.clock.nowMs();
  let seen: IdempotencyRecord | undefined;
  try {
    seen = (await deps.store.getMany([plan.key], nowMs)).get(plan.key);
  } catch (error) {
    return { kind: 'wait', failure: { reason: CLAIM_FAILED, error }, lookAtOnce: false };
  }
  const verdict = lookVerdict(seen, plan.hash, deps.claimer.owner, nowMs);
  if (verdict !== undefined) return verdict;
  return claimVerdict(await deps.claimer.claim(plan), plan.hash, { canWait: deps.canWait, looked: true });
}

/** Runs the processor under `plan`'s claim, kept alive meanwhile. */
async function runEffect(plan: ClaimPlan, deps: RecordStepDeps): Promise<RecordResult> {
  const context = { messageId: plan.messageId, invocationId: deps.invocationId, ...(plan.callerId === undefined ? {} : { callerId: plan.callerId }) };
  if ((await deps.lease.runEffect(plan, () => deps.processor.process(plan.record, context))) === 'lost') {
    return { kind: 'failed', failure: { reason: CLAIM_LOST } };
  }
  deps.patience.reset();
  return { kind: 'done' };
}

/**
 * Takes `plan`'s record from its first claim (`first`, issued ahead or not) through its effect.
 * `handBack` runs before each pause (see the partition worker). Never throws.
 */
export async function runRecord(plan: ClaimPlan, first: Promise<ClaimResult>, deps: RecordStepDeps, handBack: () => Promise<void>): Promise<RecordResult> {
  let claim: Promise<ClaimResult> | undefined = first;
  let failure: Failure = { reason: HELD_BY_ANOTHER };
  let pauseFirst = false;
  let renewed = false;
  for (;;) {
    if (pauseFirst) {
      await handBack();
      if (!(await deps.patience.pause())) return { kind: 'failed', failure };
    }
    pauseFirst = true;
    const verdict = claim === undefined ? await lookThenClaim(plan, deps) : claimVerdict(await claim, plan.hash, { canWait: deps.canWait, looked: false });
    claim = undefined;
    if (verdict.kind === 'duplicate') {
      // Done by someone else: progress, so the next wait starts short again.
      deps.patience.reset();
      return verdict;
    }
    if (verdict.kind === 'failed') return verdict;
    if (verdict.kind === 'wait') {
      failure = verdict.failure;
      pauseFirst = !verdict.lookAtOnce;
      continue;
    }
    // No effect starts on a claim with little lease left (issued ahead, it may have waited
    // behind slow effects): it is renewed first, once per attempt.
    if (!renewed && deps.lease.renewalDueBeforeEffect(plan.key)) {
      renewed = true;
      claim = deps.claimer.claim(plan);
      pauseFirst = false;
      continue;
    }
    renewed = false;
    try {
      return await runEffect(plan, deps);
    } catch (error) {
      failure = { reason: PROCESSOR_FAILED, error };
      if (!isTransient(error)) return { kind: 'failed', failure };
    }
  }
}
