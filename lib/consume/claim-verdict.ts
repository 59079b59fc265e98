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

const REUSED: ClaimVerdict = { kind: 'failed', failure: { reason: MESSAGE_ID_REUSED } };

/**
 * What a stored item tells of its own accord: the key belongs to another payload (COMPLETED
 * or not: an unfinished claim's attempt may have had its effect, and the store never lets
 * another payload take it over), or it is done with this one. Undefined otherwise.
 */
export function storedVerdict(stored: IdempotencyRecord, hash: string): ClaimVerdict | undefined {
  if (!isSamePayload(stored.payloadHash, hash)) return REUSED;
  return stored.status === IdempotencyStatus.Completed ? { kind: 'duplicate' } : undefined;
}

/**
 * What a look at the key before claiming it tells: undefined when it is worth a claim
 * (absent, ours, or the same payload's under a lease that ran out before `nowMs`).
 */
export function lookVerdict(seen: IdempotencyRecord | undefined, hash: string, owner: string, nowMs: number): ClaimVerdict | undefined {
  if (seen === undefined) return undefined;
  const verdict = storedVerdict(seen, hash);
  if (verdict !== undefined) return verdict;
  if (seen.owner !== owner && seen.leaseExpiresAtMs >= nowMs) {
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
  const stored = outcome.existing === undefined ? undefined : storedVerdict(outcome.existing, hash);
  if (stored !== undefined) return stored;
  // DynamoDB returns the item that failed the condition; dynalite does not. When waiting is
  // possible, look at once rather than pause: the holder may be done already.
  const lookAtOnce = outcome.existing === undefined && attempt.canWait && !attempt.looked;
  return { kind: 'wait', failure: { reason: HELD_BY_ANOTHER }, lookAtOnce };
}
