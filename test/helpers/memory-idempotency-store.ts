/**
 * The one in-memory idempotency store of the unit tests, with the DynamoDB store's conditions
 * (lib/idempotency/dynamo-store.ts) and its items as it maps them. The store contract
 * (store-contract.ts) runs against it and against the DynamoDB store alike. It counts the
 * requests the real one would send (BatchGetItem per 100 keys, BatchWriteItem per 25, one
 * conditional PutItem per fenced completion or abandoned claim, one DeleteItem per released key), and its
 * switches make it fail as an unreachable store does.
 */
import { BATCH_GET_LIMIT, BATCH_WRITE_LIMIT } from '../../lib/dynamo/batch-requests';
import { StoreUnavailableError } from '../../lib/errors';
import { isClaimable, isExpired } from '../../lib/idempotency/keys';
import {
  IdempotencyStatus,
  type Claim,
  type ClaimOutcome,
  type ConsumeClaimStore,
  type Completion,
  type FencedCompletionStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from '../../lib/idempotency/types';

/** Requests the DynamoDB store would have sent, by operation. */
export interface RequestCounts {
  getMany: number;
  claim: number;
  completeMany: number;
  /** Conditional completions, one request each. */
  complete: number;
  release: number;
  /** Abandoned claims, one conditional PutItem each. */
  abandon: number;
}

function unreachable(): StoreUnavailableError {
  return new StoreUnavailableError('the idempotency store is unavailable; retry later', { cause: new Error('store unreachable') });
}

/** The record as the DynamoDB store reads it back: optional attributes absent rather than undefined. */
function stored(record: IdempotencyRecord): IdempotencyRecord {
  const { payloadHash, result, ...required } = record;
  return { ...required, ...(payloadHash === undefined ? {} : { payloadHash }), ...(result === undefined ? {} : { result }) };
}

function completed(completion: Completion): IdempotencyRecord {
  return stored({ ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 });
}

/** An {@link IdempotencyStore}, {@link FencedCompletionStore} and {@link ConsumeClaimStore} in a Map. */
export class MemoryIdempotencyStore implements IdempotencyStore, FencedCompletionStore, ConsumeClaimStore {
  readonly items = new Map<string, IdempotencyRecord>();
  readonly requests: RequestCounts = { getMany: 0, claim: 0, completeMany: 0, complete: 0, release: 0, abandon: 0 };
  /** Return the existing item on a failed claim, as DynamoDB does (dynalite does not). */
  returnExisting: boolean;
  /** Every completeMany / completeIfOwned call fails. */
  failCompletions = false;
  /** 1-based numbers of the completeMany / completeIfOwned calls that fail. */
  readonly failCompletionCalls = new Set<number>();
  private completionCalls = 0;
  failReads = false;
  /** Keys whose claim throws, as an unreachable store would. */
  readonly failClaims = new Set<string>();

  constructor(options: { returnExisting?: boolean } = {}) {
    this.returnExisting = options.returnExisting ?? false;
  }

  /** All requests counted so far. */
  total(): number {
    const { getMany, claim, completeMany, complete, release, abandon } = this.requests;
    return getMany + claim + completeMany + complete + release + abandon;
  }

  async claim(claim: Claim, nowMs: number): Promise<ClaimOutcome> {
    this.requests.claim += 1;
    if (this.failClaims.has(claim.key)) throw unreachable();
    const existing = this.items.get(claim.key);
    // The DynamoDB store's condition (written as an expression there).
    const free = existing === undefined || isClaimable(existing, claim, nowMs);
    if (!free) return this.returnExisting ? { claimed: false, existing: { ...existing } } : { claimed: false };
    this.items.set(claim.key, stored({ ...claim, status: IdempotencyStatus.InProgress }));
    return existing === undefined ? { claimed: true } : { claimed: true, previous: { ...existing } };
  }

  async claimAbsent(claim: Claim): Promise<ClaimOutcome> {
    this.requests.claim += 1;
    if (this.failClaims.has(claim.key)) throw unreachable();
    const existing = this.items.get(claim.key);
    // The DynamoDB store's condition: attribute_not_exists(id), whatever the item's state.
    if (existing !== undefined) return this.returnExisting ? { claimed: false, existing: { ...existing } } : { claimed: false };
    this.items.set(claim.key, stored({ ...claim, status: IdempotencyStatus.InProgress }));
    return { claimed: true };
  }

  async getMany(keys: readonly string[], nowMs: number): Promise<Map<string, IdempotencyRecord>> {
    const unique = [...new Set(keys)];
    this.requests.getMany += Math.ceil(unique.length / BATCH_GET_LIMIT);
    if (this.failReads) throw unreachable();
    const found = new Map<string, IdempotencyRecord>();
    for (const key of unique) {
      const item = this.items.get(key);
      if (item !== undefined && !isExpired(item.expiresAtEpochSec, nowMs)) found.set(key, { ...item });
    }
    return found;
  }

  async completeMany(completions: readonly Completion[]): Promise<void> {
    this.requests.completeMany += Math.ceil(completions.length / BATCH_WRITE_LIMIT);
    this.failIfCompletionFails();
    for (const completion of completions) this.items.set(completion.key, completed(completion));
  }

  async completeIfOwned(completions: readonly Completion[]): Promise<string[]> {
    this.requests.complete += completions.length;
    this.failIfCompletionFails();
    const refused: string[] = [];
    for (const completion of completions) {
      // The DynamoDB store's condition is the owner alone: its own claim, or its own completion again.
      if (this.items.get(completion.key)?.owner !== completion.owner) {
        refused.push(completion.key);
        continue;
      }
      this.items.set(completion.key, completed(completion));
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

  async abandonMany(claims: readonly Claim[]): Promise<void> {
    this.requests.abandon += claims.length;
    for (const claim of claims) {
      const item = this.items.get(claim.key);
      if (item?.owner === claim.owner && item.status === IdempotencyStatus.InProgress) {
        this.items.set(claim.key, stored({ ...claim, status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 }));
      }
    }
  }

  private failIfCompletionFails(): void {
    this.completionCalls += 1;
    if (this.failCompletions || this.failCompletionCalls.has(this.completionCalls)) throw unreachable();
  }
}
