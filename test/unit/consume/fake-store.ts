/**
 * An in-memory IdempotencyStore with the DynamoDB store's conditions, counting the requests
 * the real one would send (BatchGetItem per 100 keys, BatchWriteItem per 25, one
 * DeleteItem per released key).
 */
import { isExpired } from '../../../lib/idempotency/keys';
import {
  IdempotencyStatus,
  type Claim,
  type ClaimOutcome,
  type Completion,
  type FencedCompletionStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from '../../../lib/idempotency/types';

export interface RequestCounts {
  getMany: number;
  claim: number;
  completeMany: number;
  /** Conditional completions, one request each. */
  complete: number;
  release: number;
}

export class FakeStore implements IdempotencyStore, FencedCompletionStore {
  readonly items = new Map<string, IdempotencyRecord>();
  readonly requests: RequestCounts = { getMany: 0, claim: 0, completeMany: 0, complete: 0, release: 0 };
  /** Return the existing item on a failed claim, as DynamoDB does (dynalite does not). */
  returnExisting = false;
  failCompletions = false;
  /** 1-based numbers of the completeMany / completeIfOwned calls that fail. */
  readonly failCompletionCalls = new Set<number>();
  private completionCalls = 0;
  failReads = false;
  /** Keys whose claim throws, as an unreachable store would. */
  readonly failClaims = new Set<string>();

  total(): number {
    const { getMany, claim, completeMany, complete, release } = this.requests;
    return getMany + claim + completeMany + complete + release;
  }

  async claim(claim: Claim, nowMs: number): Promise<ClaimOutcome> {
    this.requests.claim += 1;
    if (this.failClaims.has(claim.key)) throw new Error('store unreachable');
    const existing = this.items.get(claim.key);
    const free =
      existing === undefined ||
      isExpired(existing.expiresAtEpochSec, nowMs) ||
      (existing.status === IdempotencyStatus.InProgress && (existing.leaseExpiresAtMs < nowMs || existing.owner === claim.owner));
    if (!free) return this.returnExisting ? { claimed: false, existing: { ...existing } } : { claimed: false };
    this.items.set(claim.key, { ...claim, status: IdempotencyStatus.InProgress });
    return { claimed: true };
  }

  async getMany(keys: readonly string[], nowMs: number): Promise<Map<string, IdempotencyRecord>> {
    const unique = [...new Set(keys)];
    this.requests.getMany += Math.ceil(unique.length / 100);
    if (this.failReads) throw new Error('store unreachable');
    const found = new Map<string, IdempotencyRecord>();
    for (const key of unique) {
      const item = this.items.get(key);
      if (item !== undefined && !isExpired(item.expiresAtEpochSec, nowMs)) found.set(key, { ...item });
    }
    return found;
  }

  async completeMany(completions: readonly Completion[]): Promise<void> {
    this.requests.completeMany += Math.ceil(completions.length / 25);
    this.completionCalls += 1;
    if (this.failCompletions || this.failCompletionCalls.has(this.completionCalls)) throw new Error('store unreachable');
    for (const completion of completions) {
      this.items.set(completion.key, { ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 });
    }
  }

  async completeIfOwned(completions: readonly Completion[]): Promise<string[]> {
    this.requests.complete += completions.length;
    this.completionCalls += 1;
    if (this.failCompletions || this.failCompletionCalls.has(this.completionCalls)) throw new Error('store unreachable');
    const refused: string[] = [];
    for (const completion of completions) {
      if (this.items.get(completion.key)?.owner !== completion.owner) {
        refused.push(completion.key);
        continue;
      }
      this.items.set(completion.key, { ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 });
    }
    return refused;
  }

  async releaseMany(keys: readonly string[], owner: string): Promise<void> {
    this.requests.release += keys.length;
    for (const key of keys) {
      const item = this.items.get(key);
      if (item?.owner === owner && item.status === IdempotencyStatus.InProgress) this.items.delete(key);
    }
  }
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public nowValueMs = 1_800_000_000_000) {}
  nowMs(): number {
    return this.nowValueMs;
  }
}
