/**
 * Claims of one owner (a partition worker): issues claim requests with a fresh lease and keeps
 * which keys the owner holds IN_PROGRESS (claimed, not yet completed or released) and until
 * when. A claim of a key the owner holds renews its lease.
 */
import type { Clock } from '../clock';
import { expiresAtEpochSec } from '../idempotency/keys';
import type { IdempotencyStore } from '../idempotency/types';
import type { ClaimResult } from './claim-verdict';

/** What the claimer needs of the store. */
export type ClaimStore = Pick<IdempotencyStore, 'claim' | 'releaseMany'>;

/** The claims of one owner; see {@link createClaimer}. */
export interface Claimer {
  readonly owner: string;
  /** Claims (or renews) `key` for a payload hash `hash`; never rejects: a failed request is `{ error }`. */
  claim(target: { key: string; hash: string }): Promise<ClaimResult>;
  /** Lease end (epoch ms) of a key the owner holds; undefined when it does not. */
  leaseExpiresAtMs(key: string): number | undefined;
  /** Keys the owner holds. */
  heldKeys(): string[];
  /**
   * Releases those of `keys` the owner holds, with one request; they count as no longer held
   * once it succeeded.
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
  const held = new Map<string, number>();
  return {
    owner,
    claim({ key, hash }) {
      const nowMs = clock.nowMs();
      const leaseExpiresAtMs = nowMs + deps.leaseMs;
      return store.claim({ key, owner, payloadHash: hash, leaseExpiresAtMs, expiresAtEpochSec: expiresAtEpochSec(nowMs, deps.ttlSeconds) }, nowMs).then(
        (outcome): ClaimResult => {
          if (outcome.claimed) held.set(key, leaseExpiresAtMs);
          else held.delete(key);
          return { outcome };
        },
        (error: unknown): ClaimResult => ({ error }),
      );
    },
    leaseExpiresAtMs: (key) => held.get(key),
    heldKeys: () => [...held.keys()],
    async release(keys) {
      const ours = keys.filter((key) => held.has(key));
      if (ours.length === 0) return;
      await store.releaseMany(ours, owner);
      for (const key of ours) held.delete(key);
    },
  };
}
