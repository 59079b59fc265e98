/**
 * What a claim attempt means for a record, apart from the requests: the key may be ours, done
 * already (the same message or, with another payload, a reused id), or held by someone else,
 * which is waited for while the invocation has time. Pure: the record step acts on verdicts.
 */
import { IdempotencyStatus, type ClaimOutcome, type IdempotencyRecord } from '../idempotency/types';
import { CLAIM_FAILED, HELD_BY_ANOTHER, MESSAGE_ID_REUSED } from './failure-reason';
import { isSamePayload } from './message-id';
import type { Failure } from './record-plan';

/** A claim request's result: the store's outcome, or the error the request failed with. */
export type ClaimResult = { outcome: ClaimOutcome } | { error: unknown };

/** What to do after a claim attempt. */
export type ClaimVerdict =
  /** The key is ours: the effect may run. */
  | { kind: 'claimed' }
  /** Done already with the same payload: skip the record. */
  | { kind: 'duplicate' }
  /** Fails for good (a reused message id). */
  | { kind: 'failed'; failure: Failure }
  /** May clear by itself: pause and try again (`lookAtOnce`: look again without pausing first). */
  | { kind: 'wait'; failure: Failure; lookAtOnce: boolean };

/** A key found COMPLETED: a duplicate when it is the same payload, else a failure. */
export function completedVerdict(existing: IdempotencyRecord, hash: string): ClaimVerdict {
  return isSamePayload(existing.payloadHash, hash) ? { kind: 'duplicate' } : { kind: 'failed', failure: { reason: MESSAGE_ID_REUSED } };
}

/**
 * What a look at the key before claiming it tells: undefined when it is worth a claim
 * (absent, ours, or under a lease that ran out before `nowMs`).
 */
export function lookVerdict(seen: IdempotencyRecord | undefined, hash: string, owner: string, nowMs: number): ClaimVerdict | undefined {
  if (seen?.status === IdempotencyStatus.Completed) return completedVerdict(seen, hash);
  if (seen !== undefined && seen.owner !== owner && seen.leaseExpiresAtMs >= nowMs) {
    return { kind: 'wait', failure: { reason: HELD_BY_ANOTHER }, lookAtOnce: false };
  }
  return undefined;
}

/** How a claim was made: whether the invocation may wait, and whether the key was looked at just before. */
export interface ClaimAttempt {
  canWait: boolean;
  looked: boolean;
}

/** Interprets the result of a claim request for a record whose payload hash is `hash`. */
export function claimVerdict(result: ClaimResult, hash: string, attempt: ClaimAttempt): ClaimVerdict {
  if ('error' in result) return { kind: 'wait', failure: { reason: CLAIM_FAILED, error: result.error }, lookAtOnce: false };
  const { outcome } = result;
  if (outcome.claimed) return { kind: 'claimed' };
  if (outcome.existing?.status === IdempotencyStatus.Completed) return completedVerdict(outcome.existing, hash);
  // DynamoDB returns the item that failed the condition; dynalite does not. When waiting is
  // possible, look at once rather than pause: the holder may be done already.
  const lookAtOnce = outcome.existing === undefined && attempt.canWait && !attempt.looked;
  return { kind: 'wait', failure: { reason: HELD_BY_ANOTHER }, lookAtOnce };
}
