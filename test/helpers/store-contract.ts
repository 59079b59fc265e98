/**
 * The idempotency store's contract as one table of cases, run against every implementation:
 * the DynamoDB store on dynalite (test/integration/idempotency) and the in-memory store the
 * unit tests use (memory-idempotency-store.ts, in test/unit/idempotency), so that it cannot
 * drift from the real store.
 * Each case writes some items (`given`), does one operation (`when`) and states its result
 * and the stored item afterwards; expected values are written by hand.
 */
import { describe, expect, it } from 'vitest';
import type { ConsumeClaimStore, FencedCompletionStore, IdempotencyRecord, IdempotencyStore } from '../../lib/idempotency/types';

/** The store under test; `returnsExisting` when a failed claim returns the item (DynamoDB, not dynalite). */
export interface ContractSubject {
  store: IdempotencyStore & FencedCompletionStore & ConsumeClaimStore;
  returnsExisting: boolean;
}

const NOW_MS = 1_800_000_000_000; // 2027-01-15T08:00:00Z
const TTL_SEC = 1_800_086_400; // a day later
const K = 'key';

type Op =
  | { claim: { owner: string; leaseExpiresAtMs: number; expiresAtEpochSec?: number; payloadHash?: string }; atMs?: number }
  /** A claim only while no item holds the key. */
  | { claimAbsent: { owner: string } }
  | { completeIfOwned: { owner: string; payloadHash?: string; expiresAtEpochSec?: number } }
  | { completeMany: { owner: string; payloadHash?: string; result?: string; expiresAtEpochSec?: number } }
  | { release: { owner: string } }
  /** Abandons the claim `owner` made with `claimBy` (its lease and payload hash). */
  | { abandon: { owner: string } };

interface ContractCase {
  name: string;
  given: Op[];
  when: Op;
  /**
   * What `when` resolves with, compared strictly (a `previous: undefined` is not "no previous");
   * for a failed claim, `existing` is checked only where the store returns it.
   */
  result: unknown;
  /** The item read at `readAtMs` (default NOW_MS) afterwards; undefined = absent. */
  stored: Omit<IdempotencyRecord, 'key'> | undefined;
  readAtMs?: number;
}

const claimBy = (owner: string, leaseExpiresAtMs = NOW_MS + 30_000, payloadHash = 'h1', atMs = NOW_MS): Op => ({
  claim: { owner, leaseExpiresAtMs, payloadHash },
  atMs,
});
const inProgress = (owner: string, leaseExpiresAtMs = NOW_MS + 30_000, payloadHash = 'h1'): Omit<IdempotencyRecord, 'key'> => ({
  status: 'IN_PROGRESS',
  owner,
  leaseExpiresAtMs,
  expiresAtEpochSec: TTL_SEC,
  payloadHash,
});
const completed = (owner: string, payloadHash = 'h1'): Omit<IdempotencyRecord, 'key'> => ({
  status: 'COMPLETED',
  owner,
  leaseExpiresAtMs: 0,
  expiresAtEpochSec: TTL_SEC,
  payloadHash,
});

/**
 * The cases; `result` of a refused claim lists the item the store returns with it, and that of
 * a claim the item it replaced (`previous`).
 */
const STORE_CONTRACT: ContractCase[] = [
  { name: 'claims an absent key, replacing nothing (no `previous`)', given: [], when: claimBy('a'), result: { claimed: true }, stored: inProgress('a') },
  {
    name: "refuses a claim under another owner's live lease, returning the holder",
    given: [claimBy('a')],
    when: claimBy('b', NOW_MS + 60_000, 'h2', NOW_MS + 1_000),
    result: { claimed: false, existing: { key: K, ...inProgress('a') } },
    stored: inProgress('a'),
  },
  {
    name: 'renews its own live claim, returning that claim as `previous`',
    given: [claimBy('a')],
    when: claimBy('a', NOW_MS + 40_000, 'h1', NOW_MS + 10_000),
    result: { claimed: true, previous: { key: K, ...inProgress('a') } },
    stored: inProgress('a', NOW_MS + 40_000),
  },
  {
    name: "lets a claim whose lease ran out be taken over, returning the other owner's claim as `previous`",
    given: [claimBy('a', NOW_MS + 1_000)],
    when: claimBy('b', NOW_MS + 32_000, 'h1', NOW_MS + 2_000),
    result: { claimed: true, previous: { key: K, ...inProgress('a', NOW_MS + 1_000) } },
    stored: inProgress('b', NOW_MS + 32_000),
  },
  {
    name: 'refuses to take over a claim of another payload whose lease ran out, returning it',
    given: [claimBy('a', NOW_MS + 1_000)],
    when: claimBy('b', NOW_MS + 32_000, 'h2', NOW_MS + 2_000),
    result: { claimed: false, existing: { key: K, ...inProgress('a', NOW_MS + 1_000) } },
    stored: inProgress('a', NOW_MS + 1_000),
  },
  {
    name: 'refuses to take over an abandoned claim of another payload, returning it',
    given: [claimBy('a'), { abandon: { owner: 'a' } }],
    when: claimBy('b', NOW_MS + 31_000, 'h2', NOW_MS + 1_000),
    result: { claimed: false, existing: { key: K, ...inProgress('a', 0) } },
    stored: inProgress('a', 0),
  },
  {
    name: 'lets a claim whose lease ran out and which stored no payload hash be taken over by any payload',
    given: [{ claim: { owner: 'a', leaseExpiresAtMs: NOW_MS + 1_000 }, atMs: NOW_MS }],
    when: claimBy('b', NOW_MS + 32_000, 'h2', NOW_MS + 2_000),
    result: {
      claimed: true,
      previous: { key: K, status: 'IN_PROGRESS', owner: 'a', leaseExpiresAtMs: NOW_MS + 1_000, expiresAtEpochSec: TTL_SEC },
    },
    stored: inProgress('b', NOW_MS + 32_000, 'h2'),
  },
  {
    name: 'never lets a COMPLETED key be claimed again, even long after its lease, returning it',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: claimBy('b', NOW_MS + 3_630_000, 'h2', NOW_MS + 3_600_000),
    result: { claimed: false, existing: { key: K, ...completed('a') } },
    stored: completed('a'),
  },
  {
    name: 'treats an item past its TTL as absent, before DynamoDB deletes it, returning it as `previous`',
    given: [{ claim: { owner: 'a', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_000_010, payloadHash: 'h1' }, atMs: NOW_MS }],
    when: { claim: { owner: 'b', leaseExpiresAtMs: 1_800_000_040_000, expiresAtEpochSec: TTL_SEC, payloadHash: 'h2' }, atMs: 1_800_000_010_000 },
    result: {
      claimed: true,
      previous: { key: K, status: 'IN_PROGRESS', owner: 'a', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_000_010, payloadHash: 'h1' },
    },
    stored: inProgress('b', 1_800_000_040_000, 'h2'),
  },
  {
    name: 'leaves an item past its TTL out of reads, before DynamoDB deletes it',
    given: [{ claim: { owner: 'a', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_000_010, payloadHash: 'h1' }, atMs: NOW_MS }],
    when: { release: { owner: 'b' } },
    result: undefined,
    stored: undefined,
    readAtMs: 1_800_000_010_000,
  },
  {
    name: 'does not let its owner claim a COMPLETED key again',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: claimBy('a', NOW_MS + 40_000, 'h1', NOW_MS + 10_000),
    result: { claimed: false, existing: { key: K, ...completed('a') } },
    stored: completed('a'),
  },
  {
    name: 'completes a claim its owner still holds, with the payload hash',
    given: [claimBy('a')],
    when: { completeIfOwned: { owner: 'a', payloadHash: 'h1' } },
    result: [],
    stored: completed('a'),
  },
  {
    name: 'completes again what its owner completed already',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: { completeIfOwned: { owner: 'a', payloadHash: 'h1' } },
    result: [],
    stored: completed('a'),
  },
  {
    name: 'refuses to complete a claim another owner took over',
    given: [claimBy('a', NOW_MS + 1_000), claimBy('b', NOW_MS + 32_000, 'h1', NOW_MS + 2_000)],
    when: { completeIfOwned: { owner: 'a', payloadHash: 'h1' } },
    result: [K],
    stored: inProgress('b', NOW_MS + 32_000),
  },
  {
    name: 'refuses to complete a claim another owner completed',
    given: [claimBy('b'), { completeIfOwned: { owner: 'b', payloadHash: 'h2' } }],
    when: { completeIfOwned: { owner: 'a', payloadHash: 'h1' } },
    result: [K],
    stored: completed('b', 'h2'),
  },
  { name: 'refuses to complete a key nobody holds', given: [], when: { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }, result: [K], stored: undefined },
  {
    name: "completes unconditionally with completeMany (the produce API's completion), storing the result",
    given: [claimBy('a')],
    when: { completeMany: { owner: 'a', payloadHash: 'h1', result: '{"ok":true}' } },
    result: undefined,
    stored: { ...completed('a'), result: '{"ok":true}' },
  },
  { name: 'releases its own IN_PROGRESS claim', given: [claimBy('a')], when: { release: { owner: 'a' } }, result: undefined, stored: undefined },
  {
    name: "leaves another owner's claim alone on release",
    given: [claimBy('a')],
    when: { release: { owner: 'b' } },
    result: undefined,
    stored: inProgress('a'),
  },
  {
    name: 'leaves a COMPLETED key alone on release',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: { release: { owner: 'a' } },
    result: undefined,
    stored: completed('a'),
  },
  {
    name: 'abandons its own IN_PROGRESS claim: the item stays, its lease ended',
    given: [claimBy('a')],
    when: { abandon: { owner: 'a' } },
    result: undefined,
    stored: inProgress('a', 0),
  },
  {
    name: 'lets another owner claim an abandoned key at once, returning the abandoned claim as `previous`',
    given: [claimBy('a'), { abandon: { owner: 'a' } }],
    when: claimBy('b', NOW_MS + 31_000, 'h1', NOW_MS + 1_000),
    result: { claimed: true, previous: { key: K, ...inProgress('a', 0) } },
    stored: inProgress('b', NOW_MS + 31_000),
  },
  {
    name: "leaves another owner's claim alone on abandon",
    given: [claimBy('a')],
    when: { abandon: { owner: 'b' } },
    result: undefined,
    stored: inProgress('a'),
  },
  {
    name: 'leaves a COMPLETED key alone on abandon',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: { abandon: { owner: 'a' } },
    result: undefined,
    stored: completed('a'),
  },
  { name: 'ignores an absent key on abandon', given: [], when: { abandon: { owner: 'a' } }, result: undefined, stored: undefined },
  { name: 'claims an absent key with claimAbsent', given: [], when: { claimAbsent: { owner: 'a' } }, result: { claimed: true }, stored: inProgress('a') },
  {
    name: 'refuses claimAbsent for a claim whose lease ran out, returning it',
    given: [claimBy('a', NOW_MS - 1)],
    when: { claimAbsent: { owner: 'b' } },
    result: { claimed: false, existing: { key: K, ...inProgress('a', NOW_MS - 1) } },
    stored: inProgress('a', NOW_MS - 1),
  },
  {
    name: "refuses claimAbsent for the owner's own claim, returning it",
    given: [claimBy('a')],
    when: { claimAbsent: { owner: 'a' } },
    result: { claimed: false, existing: { key: K, ...inProgress('a') } },
    stored: inProgress('a'),
  },
  {
    name: 'refuses claimAbsent for a COMPLETED key, returning it',
    given: [claimBy('a'), { completeIfOwned: { owner: 'a', payloadHash: 'h1' } }],
    when: { claimAbsent: { owner: 'b' } },
    result: { claimed: false, existing: { key: K, ...completed('a') } },
    stored: completed('a'),
  },
];

async function apply(store: ContractSubject['store'], key: string, op: Op): Promise<unknown> {
  if ('abandon' in op) {
    return store.abandonMany([{ key, owner: op.abandon.owner, leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: TTL_SEC, payloadHash: 'h1' }]);
  }
  if ('claimAbsent' in op) {
    return store.claimAbsent({ key, owner: op.claimAbsent.owner, leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: TTL_SEC, payloadHash: 'h1' });
  }
  if ('claim' in op) {
    const { expiresAtEpochSec = TTL_SEC, ...claim } = op.claim;
    return store.claim({ key, expiresAtEpochSec, ...claim }, op.atMs ?? NOW_MS);
  }
  if ('completeIfOwned' in op) {
    const refused = await store.completeIfOwned([{ key, expiresAtEpochSec: TTL_SEC, ...op.completeIfOwned }]);
    return refused.map((refusedKey) => (refusedKey === key ? K : refusedKey));
  }
  if ('completeMany' in op) return store.completeMany([{ key, expiresAtEpochSec: TTL_SEC, ...op.completeMany }]);
  return store.releaseMany([key], op.release.owner);
}

/** The key as the case names it, in the record a claim returns (`existing` when refused, `previous` when claimed). */
function withCaseKey(result: unknown, key: string): unknown {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
  const renamed: Record<string, unknown> = { ...result };
  for (const field of ['existing', 'previous'] as const) {
    const record = renamed[field] as IdempotencyRecord | undefined;
    if (record !== undefined) renamed[field] = { ...record, key: record.key === key ? K : record.key };
  }
  return renamed;
}

/**
 * Defines the contract's tests for the store `subject()` gives (called in each test, after
 * the test framework's hooks ran). Keys are unique per case and `prefix`, so one table serves all.
 */
export function describeStoreContract(title: string, prefix: string, subject: () => ContractSubject): void {
  describe(title, () => {
    it.each(STORE_CONTRACT.map((c, index) => [c.name, c, index] as const))('%s', async (_, c, index) => {
      const { store, returnsExisting } = subject();
      const key = `${prefix}-${index}`;
      for (const op of c.given) await apply(store, key, op);
      const result = withCaseKey(await apply(store, key, c.when), key);
      if (!returnsExisting && typeof c.result === 'object' && c.result !== null && 'existing' in c.result) {
        expect(result).toStrictEqual({ claimed: false });
      } else {
        expect(result).toStrictEqual(c.result);
      }
      const stored = (await store.getMany([key], c.readAtMs ?? NOW_MS)).get(key);
      expect(stored === undefined ? undefined : { ...stored, key: undefined }).toEqual(c.stored === undefined ? undefined : { ...c.stored, key: undefined });
    });
  });
}
