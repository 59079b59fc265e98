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
 * What a stored item tells a record with payload hash `hash`, to be claimed by `owner` at
 * `nowMs`, before any claim; the one rule the plan, a look and a refused claim all follow:
 * - COMPLETED: a duplicate of the same payload, else a reused id;
 * - IN_PROGRESS under another owner's live lease: wait for it, whatever its payload (a claim
 *   issued ahead of its record may yet be released without any effect, freeing the key);
 * - IN_PROGRESS of another payload whose lease ended (abandoned, or its owner gone): a reused
 *   id, since its attempt may have applied its effect, and the store never lets another
 *   payload take such a claim over;
 * - otherwise undefined: the key is worth a claim.
 */
export function storedVerdict(stored: IdempotencyRecord, hash: string, owner: string, nowMs: number): ClaimVerdict | undefined {
  if (stored.status === IdempotencyStatus.Completed) return isSamePayload(stored.payloadHash, hash) ? { kind: 'duplicate' } : REUSED;
  if (stored.owner !== owner && stored.leaseExpiresAtMs >= nowMs) return { kind: 'wait', failure: { reason: HELD_BY_ANOTHER }, lookAtOnce: false };
  return isSamePayload(stored.payloadHash, hash) ? undefined : REUSED;
}

/** What a look at the key before claiming it tells (see {@link storedVerdict}): undefined when it is worth a claim. */
export function lookVerdict(seen: IdempotencyRecord | undefined, hash: string, owner: string, nowMs: number): ClaimVerdict | undefined {
  return seen === undefined ? undefined : storedVerdict(seen, hash, owner, nowMs);
}

/**
 * How a claim was made: whether the invocation may wait, whether the key was looked at just
 * before, and by whom and when (to read an item a refused claim returns).
 */
export interface ClaimAttempt {
  canWait: boolean;
  looked: boolean;
  owner: string;
  nowMs: number;
}

/** Interprets the result of a claim request for a record whose payload hash is `hash`. */
export function claimVerdict(result: ClaimResult, hash: string, attempt: ClaimAttempt): ClaimVerdict {
  if ('error' in result) return { kind: 'wait', failure: { reason: CLAIM_FAILED, error: result.error }, lookAtOnce: false };
  const { outcome } = result;
  if (outcome.claimed) return { kind: 'claimed' };
  const stored = outcome.existing === undefined ? undefined : storedVerdict(outcome.existing, hash, attempt.owner, attempt.nowMs);
  if (stored !== undefined) return stored;
  // DynamoDB returns the item that failed the condition; dynalite does not. When waiting is
  // possible, look at once rather than pause: the holder may be done already.
  const lookAtOnce = outcome.existing === undefined && attempt.canWait && !attempt.looked;
  return { kind: 'wait', failure: { reason: HELD_BY_ANOTHER }, lookAtOnce };
}
