/**
 * The lease rule of a consumed record's claim. A claim is a lease: once it runs out, another
 * invocation may take the record over. So no effect starts on a claim with less than half its
 * lease left (it is renewed first), and while an effect runs the claim is renewed every third
 * of the lease; a renewal that finds the key taken over means the claim was lost, and the
 * record then fails instead of being completed by an owner that no longer holds it.
 *
 * Completions are fenced by the same lease. Only the owner may complete a claim; while at
 * least half of its lease is left no one else can have taken it over (a takeover needs the
 * lease to have run out by the taker's clock, and Lambda hosts' clocks agree to far less
 * than half a lease), so such completions are written together without a condition (one
 * BatchWriteItem per 25). A claim with less left, or one the owner no longer holds, is
 * completed with a conditional write of its own, which a takeover makes fail visibly.
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

/**
 * Whether a completion may be written without the owner condition: the owner holds the claim
 * (`leaseExpiresAtMs` defined) and at least half of `leaseMs` is left at `nowMs`.
 */
export function completionNeedsNoFence(leaseExpiresAtMs: number | undefined, nowMs: number, leaseMs: number): boolean {
  return leaseExpiresAtMs !== undefined && !renewalDue(leaseExpiresAtMs, nowMs, leaseMs);
}
