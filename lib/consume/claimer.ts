/**
 * Claims of one owner (a partition worker): issues claim requests with a fresh lease and keeps
 * which keys the owner holds IN_PROGRESS (claimed, not yet completed or released) and until
 * when. A claim of a key the owner holds renews its lease. It also knows which keys may have
 * had an effect already (taken over from another owner, or attempted here): those are never
 * deleted, only abandoned, so that whoever claims them next knows it too.
 */
import type { Clock } from '../clock';
import { expiresAtEpochSec } from '../idempotency/keys';
import type { Claim, ConsumeClaimStore, IdempotencyStore } from '../idempotency/types';
import type { ClaimResult } from './claim-verdict';

/** What the claimer needs of the store. */
export type ClaimStore = Pick<IdempotencyStore, 'claim' | 'releaseMany'> & ConsumeClaimStore;

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
   * first time (see {@link ConsumeClaimStore.claimAbsent}), with the full one once refused.
   */
  claim(target: ClaimTarget): Promise<ClaimResult>;
  /** Lease end (epoch ms) of a key the owner holds; undefined when it does not. */
  leaseExpiresAtMs(key: string): number | undefined;
  /** Keys the owner holds. */
  heldKeys(): string[];
  /** Whether an effect for `key` may have run: its claim took over another owner's, or {@link Claimer.markAttempted} named it. */
  earlierAttempt(key: string): boolean;
  /** Notes that effects for `keys` are about to start. */
  markAttempted(keys: readonly string[]): void;
  /**
   * Gives up those of `keys` the owner holds: deleted when no effect for them may have run
   * (one DeleteItem each), else abandoned (see {@link ConsumeClaimStore}). They count as no
   * longer held once the requests succeeded.
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
  const attempted = new Set<string>();
  /** Keys whose claim as absent was refused: from then on they take the full claim. */
  const notAbsent = new Set<string>();
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
      const asAbsent = absent === true && !held.has(key) && !notAbsent.has(key);
      return (asAbsent ? store.claimAbsent(claim) : store.claim(claim, nowMs)).then(
        (outcome): ClaimResult => {
          if (asAbsent && !outcome.claimed) notAbsent.add(key);
          if (outcome.claimed) {
            held.set(key, claim);
            // Another owner's item, whatever its state: its attempt may have applied the effect.
            if (outcome.previous !== undefined && outcome.previous.owner !== owner) attempted.add(key);
          } else {
            held.delete(key);
          }
          return { outcome };
        },
        (error: unknown): ClaimResult => ({ error }),
      );
    },
    leaseExpiresAtMs: (key) => held.get(key)?.leaseExpiresAtMs,
    heldKeys: () => [...held.keys()],
    earlierAttempt: (key) => attempted.has(key),
    markAttempted(keys) {
      for (const key of keys) attempted.add(key);
    },
    async release(keys) {
      const ours = keys.filter((key) => held.has(key));
      if (ours.length === 0) return;
      const untouched = ours.filter((key) => !attempted.has(key));
      const abandoned = ours.filter((key) => attempted.has(key)).map((key) => held.get(key) as Claim);
      await Promise.all([
        untouched.length === 0 ? undefined : store.releaseMany(untouched, owner),
        abandoned.length === 0 ? undefined : store.abandonMany(abandoned),
      ]);
      for (const key of ours) held.delete(key);
    },
  };
}
