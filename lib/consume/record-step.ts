/**
 * Takes one record to a claim its effect may start under: skips it when its key turns out
 * done, waits out what clears by itself (a key another invocation holds, a store that cannot
 * be reached) while the invocation has time, and renews a claim with little lease left. The
 * effect and the completion are left to the caller (see {@link ./run-step}).
 */
import type { Clock } from '../clock';
import type { IdempotencyRecord, IdempotencyStore } from '../idempotency/types';
import { claimVerdict, lookVerdict, type ClaimResult, type ClaimVerdict } from './claim-verdict';
import { CLAIM_FAILED, HELD_BY_ANOTHER } from './failure-reason';
import type { Claimer } from './claimer';
import type { LeaseKeeper } from './lease-keeper';
import type { Patience } from './patience';
import type { ClaimPlan, Failure } from './record-plan';

/**
 * What became of one record: it is claimed (its effect may start), it was done already, it
 * failed, or it was given up because the hand-back before a pause stopped the partition
 * earlier (the stop is recorded there).
 */
export type AcquireResult = { kind: 'claimed' } | { kind: 'duplicate' } | { kind: 'failed'; failure: Failure } | { kind: 'given-up' };

/** Collaborators of {@link acquireRecord}, the same for every record of a partition. */
export interface RecordStepDeps {
  store: Pick<IdempotencyStore, 'getMany'>;
  clock: Clock;
  claimer: Claimer;
  lease: LeaseKeeper;
  patience: Patience;
  /** Whether the invocation may wait (it has a known deadline). */
  canWait: boolean;
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
  const result = await deps.claimer.claim(plan);
  return claimVerdict(result, plan.hash, { canWait: deps.canWait, looked: true, owner: deps.claimer.owner, nowMs: deps.clock.nowMs() });
}

/**
 * Takes `plan`'s record from its first claim (`first`, issued ahead or not) to a claim its
 * effect may start under. `handBack` runs before each pause (see the partition worker) and
 * resolves false when the partition stopped meanwhile. Never throws.
 */
export async function acquireRecord(
  plan: ClaimPlan,
  first: Promise<ClaimResult>,
  deps: RecordStepDeps,
  handBack: () => Promise<boolean>,
): Promise<AcquireResult> {
  let claim: Promise<ClaimResult> | undefined = first;
  // Stryker disable next-line ObjectLiteral: every pause follows a `wait` verdict, which sets the failure first, so this value is never returned.
  let failure: Failure = { reason: HELD_BY_ANOTHER };
  let pauseFirst = false;
  let renewed = false;
  for (;;) {
    if (pauseFirst) {
      if (!(await handBack())) return { kind: 'given-up' };
      if (!(await deps.patience.pause())) return { kind: 'failed', failure };
    }
    // Stryker disable next-line BooleanLiteral: every branch that goes round again sets pauseFirst itself; the others return.
    pauseFirst = true;
    const verdict =
      claim === undefined
        ? await lookThenClaim(plan, deps)
        : claimVerdict(await claim, plan.hash, { canWait: deps.canWait, looked: false, owner: deps.claimer.owner, nowMs: deps.clock.nowMs() });
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
    return { kind: 'claimed' };
  }
}
