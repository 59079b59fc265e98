/**
 * Keeps the claims of a run of records alive around their effects (the rule is in {@link ./lease}): renewed
 * first when less than half its lease is left, renewed every third of the lease while the
 * effect runs, and reported lost when a renewal finds the key taken over.
 */
import type { Clock } from '../clock';
import type { Claimer, ClaimTarget } from './claimer';
import { realEvery, renewalDue, renewEveryMs, type Every } from './lease';

/** A claimed key and its payload hash, as the claimer renews it. */
export type LeasedKey = Pick<ClaimTarget, 'key' | 'hash'>;

/** The lease rule applied to one owner's claims; see {@link createLeaseKeeper}. */
export interface LeaseKeeper {
  /** Whether `key`'s claim must be renewed before an effect starts under it (a key not held counts as expired). */
  renewalDueBeforeEffect(key: string): boolean;
  /**
   * Runs `effect` while renewing the claims of `targets`, and tells how it went and which
   * keys a renewal found taken over. Never rejects.
   */
  runEffect(targets: readonly LeasedKey[], effect: () => Promise<void>): Promise<EffectOutcome>;
}

/** How an effect run under {@link LeaseKeeper.runEffect} went. */
export interface EffectOutcome {
  /** Keys a renewal found taken over while the effect ran. */
  lost: ReadonlySet<string>;
  /** Whether the effect threw, and what. */
  failed: boolean;
  error?: unknown;
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
 * Renews the claims of `targets` every third of the lease. `lost()` names the keys a renewal
 * found taken over; a renewal that fails to reach the store is tried again at the next tick
 * (an unrenewed claim is completed only under the owner condition in any case).
 */
function keepAlive(targets: readonly LeasedKey[], claimer: Claimer, leaseMs: number, every: Every): { lost(): ReadonlySet<string>; stop(): Promise<void> } {
  const lost = new Set<string>();
  let renewal: Promise<void> | undefined;
  const cancel = every(renewEveryMs(leaseMs), () => {
    if (renewal !== undefined) return;
    const live = targets.filter(({ key }) => !lost.has(key));
    renewal = Promise.all(
      live.map((target) =>
        claimer.claim(target).then((result) => {
          if ('outcome' in result && !result.outcome.claimed) lost.add(target.key);
        }),
      ),
    ).then(() => {
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
    async runEffect(targets, effect) {
      const alive = keepAlive(targets, deps.claimer, deps.leaseMs, every);
      let outcome: Omit<EffectOutcome, 'lost'>;
      try {
        await effect();
        outcome = { failed: false };
      } catch (error) {
        outcome = { failed: true, error };
      }
      await alive.stop();
      return { ...outcome, lost: alive.lost() };
    },
  };
}
