/**
 * The produce API's Idempotency-Key with the in-memory store and a fake clock: the first
 * request claims, a repeat is replayed, a concurrent one is told to retry, another body is
 * refused, also when the first request's completion was never written.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyInProgressError, IdempotencyKeyMismatchError } from '../../../lib/errors';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { ProduceIdempotency, produceRequestHash } from '../../../lib/produce/idempotency';
import { FakeClock } from '../../helpers/fake-clock';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';

const LEASE_MS = 30_000;

function setup() {
  const store = new MemoryIdempotencyStore();
  const clock = new FakeClock();
  let owners = 0;
  const idempotency = new ProduceIdempotency({ store, clock, ttlSeconds: 86_400, leaseMs: LEASE_MS, newOwner: () => `request-${(owners += 1)}` });
  return { store, clock, idempotency };
}

describe('ProduceIdempotency', () => {
  it('claims a new key under the caller and topic, and replays the stored answer to a repeat', async () => {
    const { idempotency, store } = setup();
    const first = await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    // 1_800_000_000 s (the fake clock's start) and a day.
    expect(first).toEqual({
      kind: 'claimed',
      held: { key: 'produce:caller-1:events:key-1', owner: 'request-1', payloadHash: 'hash-a', expiresAtEpochSec: 1_800_086_400 },
    });
    if (first.kind !== 'claimed') return;
    await idempotency.complete(first.held, '{"offsets":[]}');
    expect(await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).toEqual({ kind: 'replay', body: '{"offsets":[]}' });
    expect(store.items.get('produce:caller-1:events:key-1')?.status).toBe(IdempotencyStatus.Completed);
  });

  it('refuses another body with a completed key (422)', async () => {
    const { idempotency } = setup();
    const first = await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    if (first.kind === 'claimed') await idempotency.complete(first.held, '{}');
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-b')).rejects.toThrow(IdempotencyKeyMismatchError);
  });

  it('tells the same body to retry while the first request holds the key (409)', async () => {
    const { idempotency } = setup();
    await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).rejects.toThrow(IdempotencyInProgressError);
  });

  it('lets the same body take over a key whose first request died before completing it, once the lease ran out', async () => {
    const { idempotency, clock } = setup();
    await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    clock.nowValueMs += LEASE_MS + 1;
    expect(await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).toMatchObject({ kind: 'claimed', held: { owner: 'request-2' } });
  });

  it('refuses another body for a key whose first request was produced but never completed, also after the lease ran out (422, not 200)', async () => {
    const { idempotency, clock, store } = setup();
    // Request A was acknowledged by Kafka; its completion was never written (the function died).
    await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    clock.nowValueMs += LEASE_MS + 1;
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-b')).rejects.toThrow(IdempotencyKeyMismatchError);
    expect(store.items.get('produce:caller-1:events:key-1')).toMatchObject({ owner: 'request-1', payloadHash: 'hash-a' });
  });

  it("gives a failed request's key up so that the retry of the same body takes it at once, and keeps it that body's", async () => {
    const { idempotency, store } = setup();
    const first = await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    if (first.kind === 'claimed') await idempotency.giveUp(first.held);
    expect(store.items.get('produce:caller-1:events:key-1')).toMatchObject({
      status: IdempotencyStatus.InProgress,
      leaseExpiresAtMs: 0,
      payloadHash: 'hash-a',
    });
    // Some of its records may be on Kafka with the key's message ids: another body is refused...
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-b')).rejects.toThrow(IdempotencyKeyMismatchError);
    // ...and the same body is produced again at once, without waiting out a lease.
    expect(await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).toMatchObject({ kind: 'claimed', held: { owner: 'request-3' } });
  });
});

describe('ProduceIdempotency in detail', () => {
  it('hashes the topic, the content type and the body bytes together', () => {
    expect(produceRequestHash('orders', 'application/json', Buffer.from('{"records":[]}'))).toBe('NHQlLBYwmIGTqFuzmDOgWISrNtRXJ-8EndpVsjZX9_4');
  });

  it('stores its claim with the lease and the TTL from the clock', async () => {
    const { idempotency, store, clock } = setup();
    await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    expect(store.items.get('produce:caller-1:events:key-1')).toMatchObject({
      status: IdempotencyStatus.InProgress,
      owner: 'request-1',
      leaseExpiresAtMs: clock.nowMs() + LEASE_MS,
      expiresAtEpochSec: Math.floor(clock.nowMs() / 1000) + 86_400,
    });
  });

  it('names the conflict in its answers', async () => {
    const { idempotency } = setup();
    await idempotency.begin('caller-1', 'events', 'key-1', 'hash-a');
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-b')).rejects.toThrow(
      new IdempotencyKeyMismatchError('Idempotency-Key was already used with a different request'),
    );
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).rejects.toThrow(
      new IdempotencyInProgressError('a request with this Idempotency-Key is still in progress; retry later'),
    );
  });

  it.each([
    { name: 'a completed key without a stored answer', status: IdempotencyStatus.Completed, result: undefined },
    { name: 'an unfinished key holding an answer', status: IdempotencyStatus.InProgress, result: '{"offsets":[]}' },
  ])('replays nothing for $name: 409', async ({ status, result }) => {
    const { idempotency, store } = setup();
    store.items.set('produce:caller-1:events:key-1', {
      key: 'produce:caller-1:events:key-1',
      status,
      owner: 'earlier',
      leaseExpiresAtMs: Number.MAX_SAFE_INTEGER,
      expiresAtEpochSec: 4_000_000_000,
      payloadHash: 'hash-a',
      ...(result === undefined ? {} : { result }),
    });
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).rejects.toThrow(IdempotencyInProgressError);
  });

  it('claims again a key released between its refused claim and the read, three times at most, then answers 409', async () => {
    const { idempotency, store } = setup();
    let claims = 0;
    store.claim = async () => {
      claims += 1;
      return { claimed: false };
    };
    await expect(idempotency.begin('caller-1', 'events', 'key-1', 'hash-a')).rejects.toThrow(
      new IdempotencyInProgressError('a request with this Idempotency-Key is still in progress; retry later'),
    );
    expect(claims).toBe(3);
  });
});
