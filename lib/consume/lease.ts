/**
 * The lease rule of a consumed record's claim. A claim is a lease: once it runs out, another
 * invocation may take the record over. So no effect starts on a claim with less than half its
 * lease left (it is renewed first), and while an effect runs the claim is renewed every third
 * of the lease; a renewal that finds the key taken over means the claim was lost, and the
 * record then fails instead of being completed by an owner that no longer holds it.
 */

/** Calls `tick` every `everyMs` until the returned function is called (injected in tests). */
export type Every = (everyMs: number, tick: () => void) => () => void;

/** The real {@link Every}: an interval that does not keep the process alive. */
export const realEvery: Every = (everyMs, tick) => {
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Whether a claim must be renewed before an effect starts under it: when less than half of
 * `leaseMs` is left at `nowMs` (a claim issued ahead may have waited behind slow effects).
 */
export function renewalDue(leaseExpiresAtMs: number, nowMs: number, leaseMs: number): boolean {
  return leaseExpiresAtMs - nowMs < leaseMs / 2;
}

/** How often a claim is renewed while its effect runs: a third of the lease, so two renewals may fail before it runs out. */
export function renewEveryMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}
