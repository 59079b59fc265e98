import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { createTestTables, testConfig, testDynamo } from '../../helpers/infra';

const NOW_MS = 1_800_000_000_000; // 2027-01-15T08:00:00Z
const LIVE = { leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400 };

describe('DynamoIdempotencyStore against the store', () => {
  let store: DynamoIdempotencyStore;

  beforeAll(async () => {
    const config = testConfig();
    const client = testDynamo();
    await createTestTables(config, client);
    store = new DynamoIdempotencyStore(client, config.tables.idempotency);
  });

  it('claims a new key once; a second claim under a live lease fails', async () => {
    expect(await store.claim({ key: 'a', owner: 'inv-1', ...LIVE }, NOW_MS)).toEqual({ claimed: true });
    const second = await store.claim({ key: 'a', owner: 'inv-2', ...LIVE }, NOW_MS);
    expect(second.claimed).toBe(false);
  });

  it('lets a claim whose lease ran out be taken over', async () => {
    await store.claim({ key: 'b', owner: 'inv-1', leaseExpiresAtMs: NOW_MS + 1_000, expiresAtEpochSec: LIVE.expiresAtEpochSec }, NOW_MS);
    expect(await store.claim({ key: 'b', owner: 'inv-2', ...LIVE }, NOW_MS + 2_000)).toEqual({
      claimed: true,
      previous: { key: 'b', status: 'IN_PROGRESS', owner: 'inv-1', leaseExpiresAtMs: NOW_MS + 1_000, expiresAtEpochSec: 1_800_086_400 },
    });
    const records = await store.getMany(['b'], NOW_MS + 2_000);
    expect(records.get('b')).toMatchObject({ status: 'IN_PROGRESS', owner: 'inv-2' });
  });

  it('never lets a COMPLETED key be claimed again, and returns its stored result', async () => {
    await store.claim({ key: 'c', owner: 'inv-1', payloadHash: 'h1', ...LIVE }, NOW_MS);
    await store.completeMany([{ key: 'c', owner: 'inv-1', payloadHash: 'h1', expiresAtEpochSec: LIVE.expiresAtEpochSec, result: '{"ok":true}' }]);
    // Even long after the lease would have run out.
    expect((await store.claim({ key: 'c', owner: 'inv-2', ...LIVE }, NOW_MS + 3_600_000)).claimed).toBe(false);
    expect((await store.getMany(['c'], NOW_MS)).get('c')).toEqual({
      key: 'c',
      status: 'COMPLETED',
      owner: 'inv-1',
      leaseExpiresAtMs: 0,
      expiresAtEpochSec: 1_800_086_400,
      payloadHash: 'h1',
      result: '{"ok":true}',
    });
  });

  it('treats an item past its TTL as absent, before DynamoDB deletes it', async () => {
    await store.claim({ key: 'd', owner: 'inv-1', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_000_010 }, NOW_MS);
    await store.completeMany([{ key: 'd', owner: 'inv-1', expiresAtEpochSec: 1_800_000_010 }]);
    const later = 1_800_000_010_000;
    expect((await store.getMany(['d'], later)).has('d')).toBe(false);
    expect(await store.claim({ key: 'd', owner: 'inv-2', ...LIVE }, later)).toEqual({
      claimed: true,
      previous: { key: 'd', status: 'COMPLETED', owner: 'inv-1', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_000_010 },
    });
  });

  it('releases only its own IN_PROGRESS claims', async () => {
    await store.claim({ key: 'e', owner: 'inv-1', ...LIVE }, NOW_MS);
    await store.claim({ key: 'f', owner: 'inv-2', ...LIVE }, NOW_MS);
    await store.releaseMany(['e', 'f', 'never-claimed'], 'inv-1');
    const records = await store.getMany(['e', 'f'], NOW_MS);
    expect(records.has('e')).toBe(false);
    expect(records.get('f')).toMatchObject({ owner: 'inv-2', status: 'IN_PROGRESS' });
  });

  it('reads and completes more keys than one batch request holds', async () => {
    const keys = Array.from({ length: 130 }, (_, i) => `many-${i}`);
    await store.completeMany(keys.map((key) => ({ key, owner: 'inv-1', expiresAtEpochSec: LIVE.expiresAtEpochSec })));
    const records = await store.getMany([...keys, 'missing'], NOW_MS);
    expect(records.size).toBe(130);
    expect(records.get('many-129')?.status).toBe('COMPLETED');
  });
});
