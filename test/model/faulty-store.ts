/**
 * An idempotency store seen by one actor of a history: every request goes to the shared store
 * (the in-memory one, or DynamoDB on dynalite) through the {@link Switchboard}, which injects
 * the actor's planned faults. Composition only: the store itself is untouched.
 */
import type { Claim, ClaimOutcome, Completion, IdempotencyRecord } from '../../lib/idempotency/types';
import type { ConsumeStore } from '../../lib/consume/partition-worker';
import type { Actor, Switchboard } from './switchboard';

/** Kinds of store request a fault plan names. */
export const StoreOp = { Read: 'read', Claim: 'claim', Complete: 'complete', Release: 'release' } as const;
export type StoreOp = (typeof StoreOp)[keyof typeof StoreOp];

/** A {@link ConsumeStore} whose requests pass through the switchboard as `actor`'s. */
export class FaultyStore implements ConsumeStore {
  /**
   * @param label - how a key is named in the trace (short, e.g. the message id).
   */
  constructor(
    private readonly inner: ConsumeStore,
    private readonly board: Switchboard,
    private readonly actor: Actor,
    private readonly label: (key: string) => string,
  ) {}

  claim(claim: Claim, nowMs: number): Promise<ClaimOutcome> {
    return this.board.call(this.actor, StoreOp.Claim, this.label(claim.key), () => this.inner.claim(claim, nowMs));
  }

  claimAbsent(claim: Claim): Promise<ClaimOutcome> {
    return this.board.call(this.actor, StoreOp.Claim, `${this.label(claim.key)} (absent only)`, () => this.inner.claimAbsent(claim));
  }

  getMany(keys: readonly string[], nowMs: number): Promise<Map<string, IdempotencyRecord>> {
    return this.board.call(this.actor, StoreOp.Read, this.labels(keys), () => this.inner.getMany(keys, nowMs));
  }

  completeMany(completions: readonly Completion[]): Promise<void> {
    return this.board.call(this.actor, StoreOp.Complete, this.labels(completions.map(({ key }) => key)), () => this.inner.completeMany(completions));
  }

  completeIfOwned(completions: readonly Completion[]): Promise<string[]> {
    const keys = completions.map(({ key }) => key);
    return this.board.call(this.actor, StoreOp.Complete, `${this.labels(keys)} (if owned)`, () => this.inner.completeIfOwned(completions));
  }

  releaseMany(keys: readonly string[], owner: string): Promise<void> {
    return this.board.call(this.actor, StoreOp.Release, `${this.labels(keys)} (delete)`, () => this.inner.releaseMany(keys, owner));
  }

  abandonMany(claims: readonly Claim[]): Promise<void> {
    const keys = claims.map(({ key }) => key);
    return this.board.call(this.actor, StoreOp.Release, `${this.labels(keys)} (abandon)`, () => this.inner.abandonMany(claims));
  }

  private labels(keys: readonly string[]): string {
    return keys.map(this.label).join(',');
  }
}
