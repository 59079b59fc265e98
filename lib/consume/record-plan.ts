/**
 * What to do with each record of a partition, from what the batch read already tells and
 * before any request: fail it (malformed, or a message id reused with another payload), skip
 * it (a duplicate), or claim it, noting when another owner holds it under a live lease.
 * Pure: the partition worker acts on these plans.
 */
import type { IdempotencyRecord } from '../idempotency/types';
import { storedVerdict } from './claim-verdict';
import type { ConsumedRecord, PartitionEntry } from './event';
import { MALFORMED_RECORD, MESSAGE_ID_REUSED } from './failure-reason';
import { consumeIdempotencyKey, messageIdentityOf, recordPayloadHash, type CallerCheck } from './message-id';

/** Why a record was not done, for the log and the report. */
export interface Failure {
  reason: string;
  error?: unknown;
}

/** A record to claim, with the identity and payload hash its claim and completion carry. */
export interface ClaimPlan {
  kind: 'claim';
  record: ConsumedRecord;
  /** The message identity the processor is told (caller-qualified when it has a caller). */
  messageId: string;
  callerId?: string;
  /** The record's idempotency key. */
  key: string;
  hash: string;
  /** The batch read found the key IN_PROGRESS under another owner's live lease. */
  held?: IdempotencyRecord;
  /** The batch read found no item for the key (its first claim takes the cheaper condition). */
  absent?: true;
}

/** What to do with one record. */
export type RecordPlan =
  /** Known to fail before any request: a malformed record, or a message id reused with another payload. */
  { kind: 'invalid'; failure: Failure } | { kind: 'duplicate' } | ClaimPlan;

/** What is known of a well-formed record when it is planned. */
export interface RecordFacts {
  key: string;
  hash: string;
  /** Payload hash of an earlier record of the partition with the same key; undefined when none. */
  earlierHash?: string;
  /** The key as the batch read found it; undefined when absent. */
  known?: IdempotencyRecord;
}

/** How {@link planRecord} decides: skip, fail as reused, or claim (held by another live owner or not). */
export type RecordDecision = { kind: 'duplicate' } | { kind: 'reused' } | { kind: 'claim'; held?: IdempotencyRecord };

/**
 * Decides what to do with a well-formed record: the same message twice in one partition is
 * done once the first copy is (another payload with its id is not the same message); else
 * the batch read's item decides as any look at the key does ({@link storedVerdict}): a
 * COMPLETED key is skipped or reused, a key IN_PROGRESS under a live lease (`>= nowMs`) of an
 * owner other than `owner` is claimed only after waiting for it, and an unfinished claim of
 * another payload whose lease ended makes the record a reused id.
 */
export function planRecord(facts: RecordFacts, owner: string, nowMs: number): RecordDecision {
  const { hash, earlierHash, known } = facts;
  if (earlierHash !== undefined) return earlierHash === hash ? { kind: 'duplicate' } : { kind: 'reused' };
  const verdict = known === undefined ? undefined : storedVerdict(known, hash, owner, nowMs);
  if (verdict === undefined) return { kind: 'claim' };
  if (verdict.kind === 'duplicate') return verdict;
  if (verdict.kind === 'wait') return { kind: 'claim', held: known as IdempotencyRecord };
  return { kind: 'reused' };
}

/** Who a well-formed record is: its message identity, its caller, and its idempotency key. */
export interface RecordIdentity {
  messageId: string;
  callerId?: string;
  key: string;
}

/**
 * The identity of each entry of a partition (undefined for a malformed one), worked out once
 * per invocation: the batch read needs the keys before the records are planned. `checkCaller`
 * verifies caller headers.
 */
export function identifyEntries(entries: readonly PartitionEntry[], scope: string, checkCaller: CallerCheck): (RecordIdentity | undefined)[] {
  return entries.map((entry) => {
    if (!('record' in entry)) return undefined;
    const { messageId, callerId } = messageIdentityOf(entry.record, checkCaller);
    const identity: RecordIdentity = { messageId, key: consumeIdempotencyKey(scope, messageId) };
    if (callerId !== undefined) identity.callerId = callerId;
    return identity;
  });
}

/**
 * Plans each entry of a partition in order (see {@link planRecord}); `identities` are the
 * entries' identities ({@link identifyEntries}), `known` holds the keys the batch read found.
 */
export function planPartition(
  entries: readonly PartitionEntry[],
  identities: readonly (RecordIdentity | undefined)[],
  known: ReadonlyMap<string, IdempotencyRecord>,
  owner: string,
  nowMs: number,
): RecordPlan[] {
  const seen = new Map<string, string>();
  return entries.map((entry, index): RecordPlan => {
    const identity = identities[index];
    if (!('record' in entry) || identity === undefined) {
      return {
        kind: 'invalid',
        failure: 'malformed' in entry ? { reason: entry.malformed.reason ?? MALFORMED_RECORD, error: entry.malformed.error } : { reason: MALFORMED_RECORD },
      };
    }
    const { messageId, callerId, key } = identity;
    const hash = recordPayloadHash(entry.record);
    const facts: RecordFacts = { key, hash };
    const earlierHash = seen.get(key);
    if (earlierHash === undefined) seen.set(key, hash);
    else facts.earlierHash = earlierHash;
    const knownRecord = known.get(key);
    // Stryker disable next-line ConditionalExpression: planRecord reads `known` with `!== undefined`, so an undefined one is the same as none.
    if (knownRecord !== undefined) facts.known = knownRecord;
    const decision = planRecord(facts, owner, nowMs);
    if (decision.kind === 'duplicate') return decision;
    if (decision.kind === 'reused') return { kind: 'invalid', failure: { reason: MESSAGE_ID_REUSED } };
    const plan: ClaimPlan = { kind: 'claim', record: entry.record, messageId, key, hash };
    if (callerId !== undefined) plan.callerId = callerId;
    if (decision.held !== undefined) plan.held = decision.held;
    if (knownRecord === undefined) plan.absent = true;
    return plan;
  });
}

/**
 * Index of the first record at which the partition stops before any request: an invalid
 * one, or, when the invocation cannot wait, one held by another owner. -1 when none.
 */
export function firstStopIndex(plans: readonly RecordPlan[], canWait: boolean): number {
  // Stryker disable next-line ConditionalExpression: only claims have `held`; the kind check is for the type checker.
  return plans.findIndex((plan) => plan.kind === 'invalid' || (!canWait && plan.kind === 'claim' && plan.held !== undefined));
}

/** The other owner's record holding `plan`'s key when its lease is still live at `nowMs`; else undefined. */
export function liveHolder(plan: ClaimPlan, nowMs: number): IdempotencyRecord | undefined {
  return plan.held !== undefined && plan.held.leaseExpiresAtMs >= nowMs ? plan.held : undefined;
}
