/**
 * Claims of one owner (a partition worker): issues claim requests with a fresh lease and keeps
 * which keys the owner holds IN_PROGRESS (claimed, not yet completed or released) and until
 * when. A claim of a key the owner holds renews its lease. It also knows which keys may have
 * had an effect already (taken over from another owner, or attempted here): those are never
 * deleted, only abandoned, so that whoever claims them next knows it too.
 *
 * A claim request that failed may still have been written (DynamoDB committed it and the
 * answer was lost), and its retry then succeeds as a renewal, returning the owner's own item
 * instead of the one the first write replaced. So a key whose claim failed is treated as
 * possibly held: when given up it is abandoned, never deleted, and when a later claim returns
 * the owner's own item for a key it did not hold, the predecessor is unknown and counts as an
 * earlier attempt.
 */
import type { Clock } from '../clock';
import { expiresAtEpochSec, isClaimable } from '../idempotency/keys';
import type { Claim, ClaimOutcome, ConsumeClaimStore, IdempotencyStore } from '../idempotency/types';
import type { ClaimResult } from './claim-verdict';

/** What the claimer needs of the store. */
export type ClaimStore = Pick<IdempotencyStore, 'claim' | 'releaseMany' | 'abandonMany'> & ConsumeClaimStore;

/** A key to claim for a payload hash; `absent` when a read found no item for it. */
export interface ClaimTarget {
  key: string;
  hash: string;
  absent?: boolean;
}

/** The claims of one owner; see {@link createClaimer}. */
export interface Claimer {
  readonly owner: string;
  /**
   * Claims (or renews) `target.key` for a payload hash `target.hash`; never rejects: a failed
   * request is `{ error }`. A key read as absent is claimed with the cheaper condition the
   * first time (see {@link ConsumeClaimStore.claimAbsent}); when that is refused, the full
   * claim follows at once in the same call, and later claims of the key take it directly.
   */
  claim(target: ClaimTarget): Promise<ClaimResult>;
  /** Lease end (epoch ms) of a key the owner holds; undefined when it does not. */
  leaseExpiresAtMs(key: string): number | undefined;
  /** Keys the owner holds, or may hold (a claim request failed, and may have been written). */
  heldKeys(): string[];
  /** Whether an effect for `key` may have run: its claim took over another owner's, or {@link Claimer.markAttempted} named it. */
  earlierAttempt(key: string): boolean;
  /** Notes that effects for `keys` are about to start. */
  markAttempted(keys: readonly string[]): void;
  /**
   * Gives up those of `keys` the owner holds or may hold: deleted when the claim is known and
   * no effect for them may have run (one DeleteItem each), else abandoned (see
   * {@link ConsumeClaimStore}). They count as no longer held once the requests succeeded.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached (the keys stay held).
   */
  release(keys: readonly string[]): Promise<void>;
}

/** Settings of a {@link Claimer}. */
export interface ClaimerDeps {
  store: ClaimStore;
  clock: Clock;
  owner: string;
  leaseMs: number;
  ttlSeconds: number;
}

/** Creates the {@link Claimer} of `deps.owner`. */
export function createClaimer(deps: ClaimerDeps): Claimer {
  const { store, clock, owner } = deps;
  const held = new Map<string, Claim>();
  /** Keys whose last claim request failed: it may have been written all the same. */
  const uncertain = new Map<string, Claim>();
  const attempted = new Set<string>();
  /** Keys whose claim as absent was refused: from then on they take the full claim. */
  const notAbsent = new Set<string>();

  /** Notes what a claim's outcome tells of the key. */
  const learn = (claim: Claim, outcome: ClaimOutcome): void => {
    const { key } = claim;
    const wasHeld = held.has(key);
    if (outcome.claimed) {
      held.set(key, claim);
      // Another owner's item, whatever its state, may come from an attempt that applied the
      // effect; so may the item our own lost write replaced, when this claim is its retry.
      if (outcome.previous !== undefined && (outcome.previous.owner !== owner || !wasHeld)) attempted.add(key);
    } else {
      held.delete(key);
    }
  };

  const request = async (claim: Claim, nowMs: number, absent: boolean): Promise<ClaimOutcome> => {
    if (absent) {
      const outcome = await store.claimAbsent(claim);
      if (outcome.claimed) return outcome;
      notAbsent.add(claim.key);
      // An item appeared since the read. One free to take (abandoned, expired, past its TTL)
      // is claimed at once with the full condition rather than waited for; one the answer
      // shows is not free (DynamoDB returns it; dynalite does not) needs no second request.
      if (outcome.existing !== undefined && !isClaimable(outcome.existing, claim, nowMs)) return outcome;
    }
    return store.claim(claim, nowMs);
  };

  return {
    owner,
    claim({ key, hash, absent }) {
      const nowMs = clock.nowMs();
      const claim: Claim = {
        key,
        owner,
        payloadHash: hash,
        leaseExpiresAtMs: nowMs + deps.leaseMs,
        expiresAtEpochSec: expiresAtEpochSec(nowMs, deps.ttlSeconds),
      };
      const asAbsent = absent === true && !held.has(key) && !notAbsent.has(key) && !uncertain.has(key);
      return request(claim, nowMs, asAbsent).then(
        (outcome): ClaimResult => {
          learn(claim, outcome);
          uncertain.delete(key);
          return { outcome };
        },
        (error: unknown): ClaimResult => {
          // Stryker disable next-line ConditionalExpression: a held key is released or abandoned through its held claim; also marking it uncertain changes neither.
          if (!held.has(key)) uncertain.set(key, claim);
          return { error };
        },
      );
    },
    leaseExpiresAtMs: (key) => held.get(key)?.leaseExpiresAtMs,
    heldKeys: () => [...new Set([...held.keys(), ...uncertain.keys()])],
    earlierAttempt: (key) => attempted.has(key),
    markAttempted(keys) {
      for (const key of keys) attempted.add(key);
    },
    async release(keys) {
      const ours = keys.filter((key) => held.has(key) || uncertain.has(key));
      // Stryker disable next-line ConditionalExpression: speed only; with no keys the writes below send nothing.
      if (ours.length === 0) return;
      // Deleted only when no effect can have run and the claim is known to be ours; a claim
      // that may have been written without our knowing is abandoned (conditional on our
      // owning it, so a key we never got is left alone).
      const untouched = ours.filter((key) => held.has(key) && !attempted.has(key));
      const abandoned = ours.filter((key) => !untouched.includes(key)).map((key) => (held.get(key) ?? uncertain.get(key)) as Claim);
      // Stryker disable ConditionalExpression: speed only; a store sends no request for no keys.
      await Promise.all([
        untouched.length === 0 ? undefined : store.releaseMany(untouched, owner),
        abandoned.length === 0 ? undefined : store.abandonMany(abandoned),
      ]);
      // Stryker restore ConditionalExpression
      for (const key of ours) {
        held.delete(key);
        uncertain.delete(key);
      }
    },
  };
}
