/**
 * The persistence model of idempotency, shared by the produce API (Idempotency-Key) and the
 * consumer (one key per record). The store only maps items and issues conditional writes;
 * keys, hashing and expiry are worked out by the callers with {@link ./keys}.
 */

/** Status of an idempotency key. */
export const IdempotencyStatus = {
  InProgress: 'IN_PROGRESS',
  Completed: 'COMPLETED',
} as const;
export type IdempotencyStatus = (typeof IdempotencyStatus)[keyof typeof IdempotencyStatus];

/** One stored idempotency key. */
export interface IdempotencyRecord {
  key: string;
  status: IdempotencyStatus;
  /** Who holds an IN_PROGRESS claim (a request, or a consume invocation and partition); guards release, renewal and fenced completion. */
  owner: string;
  /** Until when an IN_PROGRESS claim blocks others, epoch milliseconds. */
  leaseExpiresAtMs: number;
  /** When the item expires (DynamoDB TTL attribute), epoch seconds. */
  expiresAtEpochSec: number;
  /** Hash of the request that claimed the key, to detect reuse with another payload. */
  payloadHash?: string;
  /** The stored result of a COMPLETED key (for the produce API, the HTTP response). */
  result?: string;
}

/** A claim to write: a new IN_PROGRESS record. */
export type Claim = Omit<IdempotencyRecord, 'status' | 'result'>;

/** A completion to write: the key becomes COMPLETED, optionally with a stored result. */
export interface Completion {
  key: string;
  owner: string;
  expiresAtEpochSec: number;
  payloadHash?: string;
  result?: string;
}

/** Outcome of {@link IdempotencyStore.claim}. */
export type ClaimOutcome =
  /**
   * The key is the caller's now. `previous` is the item the claim replaced, when there was
   * one: an abandoned or expired claim, an item past its TTL, or the caller's own claim
   * (a renewal). DynamoDB returns it with the write (`ReturnValues: ALL_OLD`), so it costs
   * no request; a claim that replaced another owner's item tells the consumer that an
   * earlier attempt may have applied the effect.
   */
  | { claimed: true; previous?: IdempotencyRecord }
  /**
   * The key is held (COMPLETED, or IN_PROGRESS under a live lease). `existing` is the
   * stored record when the store could return it with the failed write (DynamoDB can;
   * dynalite cannot); callers that need it and get undefined call {@link IdempotencyStore.get}.
   */
  | { claimed: false; existing?: IdempotencyRecord };

/** Persistence of idempotency keys. Implementations map records to items and nothing more. */
export interface IdempotencyStore {
  /**
   * Claims `claim.key` with one conditional write. Succeeds when the key is absent, its
   * item has expired, or it is IN_PROGRESS for the same payload (`claim.payloadHash`, or an
   * item without one) and either its lease ran out before `nowMs` or it is `claim.owner`'s
   * already (the lease is then renewed). An unfinished claim of another payload is refused
   * like a live one: the key is that payload's, whose attempt may have had its effect.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  claim(claim: Claim, nowMs: number): Promise<ClaimOutcome>;
  /**
   * Reads keys in as few requests as the store allows. Expired items are left out.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  getMany(keys: readonly string[], nowMs: number): Promise<Map<string, IdempotencyRecord>>;
  /**
   * Marks keys COMPLETED, batching writes. Each completion overwrites the caller's own claim.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  completeMany(completions: readonly Completion[]): Promise<void>;
  /**
   * Deletes IN_PROGRESS claims held by `owner` so that the keys can be claimed again at once.
   * Keys held by someone else, or already gone, are left alone.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  releaseMany(keys: readonly string[], owner: string): Promise<void>;
  /**
   * Gives up claims whose effect may have run (a consumed record's, or a produce request that
   * reached Kafka): each claim still IN_PROGRESS under `claim.owner` is written again with
   * `leaseExpiresAtMs` 0, with one conditional write per key. Such a claim is not deleted,
   * which would let the next claim believe no effect ever ran and let another payload take
   * the key; kept with its lease ended, it is taken over at once by the same payload, which
   * learns from {@link ClaimOutcome} `previous` that an earlier attempt may have had its
   * effect. Keys held or completed by another owner, or gone, are left alone.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  abandonMany(claims: readonly Claim[]): Promise<void>;
}

/**
 * Completion fenced by ownership, for claims held while an effect runs (the consumer's): a
 * claim whose lease ran out may have been taken over, and then only the new owner may
 * complete it.
 */
export interface FencedCompletionStore {
  /**
   * Marks each key COMPLETED only while `completion.owner` still holds it (IN_PROGRESS under
   * that owner, or COMPLETED by it already), with one conditional write per key.
   *
   * @returns the keys refused: held or completed by another owner, or gone.
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  completeIfOwned(completions: readonly Completion[]): Promise<string[]>;
}

/** The consumer's claim beyond the shared store's: a cheaper claim of a key known absent. */
export interface ConsumeClaimStore {
  /**
   * Claims `claim.key` only when no item holds it, with the simplest condition
   * (`attribute_not_exists`): for a key a read just found absent, the common case. Refused when
   * any item exists, even one {@link IdempotencyStore.claim} could take over; the caller then
   * looks at the key and claims it that way. The local store (dynalite) parses a condition on
   * every request, and this one costs it a fraction of the full claim's.
   *
   * @throws {StoreUnavailableError} when the store cannot be reached.
   */
  claimAbsent(claim: Claim): Promise<ClaimOutcome>;
}
