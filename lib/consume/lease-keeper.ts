/**
 * Keeps a record's claim alive around its effect (the rule is in {@link ./lease}): renewed
 * first when less than half its lease is left, renewed every third of the lease while the
 * effect runs, and reported lost when a renewal finds the key taken over.
 */
import type { Clock } from '../clock';
import type { Claimer } from './claimer';
import { realEvery, renewalDue, renewEveryMs, type Every } from './lease';

/** A claimed key and its payload hash, as the claimer renews it. */
export interface LeasedKey {
  key: string;
  hash: string;
}

/** The lease rule applied to one owner's claims; see {@link createLeaseKeeper}. */
export interface LeaseKeeper {
  /** Whether `key`'s claim must be renewed before an effect starts under it (a key not held counts as expired). */
  renewalDueBeforeEffect(key: string): boolean;
  /**
   * Runs `effect` while renewing `target`'s claim. Resolves 'lost' when a renewal found the
   * key taken over, else 'done'; rejects with the effect's error.
   */
  runEffect(target: LeasedKey, effect: () => Promise<void>): Promise<'done' | 'lost'>;
}

/** Collaborators of a {@link LeaseKeeper}. */
export interface LeaseKeeperDeps {
  claimer: Claimer;
  clock: Clock;
  leaseMs: number;
  /** Schedules renewals while an effect runs; defaults to a real interval. */
  every?: Every;
}

/**
 * Renews `target`'s claim every third of the lease. `lost()` tells whether a renewal found
 * the key taken over; a renewal that fails to reach the store is tried again at the next
 * tick (the completion is fenced in any case).
 */
function keepAlive(target: LeasedKey, claimer: Claimer, leaseMs: number, every: Every): { lost(): boolean; stop(): Promise<void> } {
  let lost = false;
  let renewal: Promise<void> | undefined;
  const cancel = every(renewEveryMs(leaseMs), () => {
    if (renewal !== undefined || lost) return;
    renewal = claimer.claim(target).then((result) => {
      if ('outcome' in result && !result.outcome.claimed) lost = true;
      renewal = undefined;
    });
  });
  return {
    lost: () => lost,
    stop: async () => {
      cancel();
      await renewal;
    },
  };
}

/** Creates the {@link LeaseKeeper} of `deps.claimer`'s claims. */
export function createLeaseKeeper(deps: LeaseKeeperDeps): LeaseKeeper {
  const every = deps.every ?? realEvery;
  return {
    renewalDueBeforeEffect: (key) => renewalDue(deps.claimer.leaseExpiresAtMs(key) ?? 0, deps.clock.nowMs(), deps.leaseMs),
    async runEffect(target, effect) {
      const alive = keepAlive(target, deps.claimer, deps.leaseMs, every);
      try {
        await effect();
      } finally {
        await alive.stop();
      }
      return alive.lost() ? 'lost' : 'done';
    },
  };
}
