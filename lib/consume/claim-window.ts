/**
 * Claims issued ahead of the record being processed, so that their latency overlaps the
 * effects: up to `claimsAhead` beyond it, in order, only for records before the partition's
 * known stop, and not past a key another owner holds (that one is waited for when reached).
 * Before a pause the claims issued ahead are handed back, and issued again when reached.
 */
import type { ClaimResult } from './claim-verdict';
import type { Claimer } from './claimer';
import { liveHolder, type ClaimPlan, type RecordPlan } from './record-plan';

/** The claims of one partition's records; see {@link createClaimWindow}. */
export interface ClaimWindow {
  /**
   * The claim of the record at `index`, the `position`-th record claimed in this partition:
   * one issued ahead, else a new one; a key still held by another owner at `nowMs` is not
   * claimed and nothing is issued ahead of it (its result is the holder's record).
   */
  claimAt(index: number, position: number, nowMs: number): Promise<ClaimResult>;
  /**
   * Waits for the claims issued for the positions `keep` and later, and releases those that
   * were granted: the first `keep` records claimed in this partition keep theirs.
   */
  handBack(keep: number): Promise<void>;
  /** Resolves once every claim issued ahead has answered. */
  settled(): Promise<void>;
}

/**
 * Creates the window over `plans[0..end)`.
 *
 * @param claimsAhead - how many claims may be in flight ahead of the record being processed.
 */
export function createClaimWindow(plans: readonly RecordPlan[], end: number, claimsAhead: number, claimer: Claimer): ClaimWindow {
  const claimIndexes: number[] = [];
  // Stryker disable next-line OptionalChaining: end is at most the number of plans, so there is always one (the `?.` is for the type checker).
  for (let i = 0; i < end; i += 1) if (plans[i]?.kind === 'claim') claimIndexes.push(i);
  const claims = new Map<number, Promise<ClaimResult>>();
  let issued = 0;
  const planAt = (index: number): ClaimPlan => plans[index] as ClaimPlan;

  const issueFor = (position: number): void => {
    for (; issued < claimIndexes.length && issued <= position + claimsAhead; issued += 1) {
      const index = claimIndexes[issued] as number;
      if (planAt(index).held !== undefined) {
        if (issued > position) return;
        continue;
      }
      claims.set(index, claimer.claim(planAt(index)));
    }
  };

  return {
    claimAt(index, position, nowMs) {
      const held = liveHolder(planAt(index), nowMs);
      // Nothing is claimed ahead of a held key until it has been waited for.
      if (held === undefined) issueFor(position);
      return (
        claims.get(index) ?? (held === undefined ? claimer.claim(planAt(index)) : Promise.resolve<ClaimResult>({ outcome: { claimed: false, existing: held } }))
      );
    },
    async handBack(keep) {
      const ahead = claimIndexes.slice(keep, issued);
      await Promise.all(ahead.map((index) => claims.get(index)));
      // Stryker disable next-line CallExpression: memory only; a claim handed back is issued again, replacing this entry, before it is read.
      for (const index of ahead) claims.delete(index);
      issued = Math.min(issued, keep);
      try {
        await claimer.release(ahead.map((index) => planAt(index).key));
      } catch {
        // The store is failing (the likely reason for the pause): the keys stay ours, and the
        // next claim by this owner renews them.
      }
    },
    async settled() {
      await Promise.all(claims.values());
    },
  };
}
