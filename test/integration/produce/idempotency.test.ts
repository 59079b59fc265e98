import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { createDynamoClient } from '../../../lib/dynamo/client';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { ensureTopics } from '../../../local/kafka/admin';
import { silentLogger } from '../../../lib/logger';
import type { Clock } from '../../../lib/clock';
import type { AppConfig } from '../../../lib/config';
import { createTestTables, createTestTopic, testConfig, testKafka, uniqueName } from '../../helpers/infra';
import { digestInHeader } from '../../helpers/caller-keys';
import { asCaller, iamAuthorizer, JSON_V2, jwtAuthorizer, produceEvent } from '../../helpers/http-events';
import { produceRequestHash } from '../../../lib/produce/idempotency';
import { readBack } from './read-back';
import { heldToOpenApi } from '../../helpers/openapi';

type Result = Awaited<ReturnType<ProduceRuntime['handler']>>;

const offsetsOf = (result: Result): unknown => JSON.parse(result.body as string).offsets;

/** A clock the test moves by hand. */
function fakeClock(startMs: number): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return { nowMs: () => nowMs, advance: (ms) => (nowMs += ms) };
}

describe('Idempotency-Key against the real broker and store', () => {
  let config: AppConfig;
  let runtime: ProduceRuntime;
  let topic: string;

  beforeAll(async () => {
    config = testConfig({ IDEMPOTENCY_TTL_SECONDS: '60', IDEMPOTENCY_LEASE_MS: '30000' });
    await createTestTables(config);
    runtime = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
    topic = await createTestTopic('produce-idem', 1);
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('replays the stored response for a repeat with the same key and body, producing nothing more', async () => {
    const body = { records: [{ value: 'a' }, { value: 'b' }] };
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await runtime.handler(produceEvent(topic, body, { headers }));
    expect(first.statusCode).toBe(200);
    expect(first.headers).not.toHaveProperty('Idempotent-Replayed');
    const second = await runtime.handler(produceEvent(topic, body, { headers }));
    expect(second.statusCode).toBe(200);
    expect(second.headers).toMatchObject({ 'Idempotent-Replayed': 'true', 'Content-Type': 'application/vnd.kafka.v2+json' });
    expect(second.body).toBe(first.body);

    const marker = await runtime.handler(produceEvent(topic, { records: [{ value: 'marker' }] }));
    const [{ offset: markerOffset }] = offsetsOf(marker) as [{ offset: number }];
    const read = await readBack(topic, markerOffset + 1);
    const ours = read.filter((record) => String(record.headers['message-id']).startsWith('replay-1:'));
    expect(ours.map((record) => record.headers['message-id'])).toEqual(['replay-1:0', 'replay-1:1']);
  });

  it('scopes the key per caller: two callers with one key both produce, each is replayed its own answer', async () => {
    const headers = { 'idempotency-key': 'shared-key-1' };
    const alice = (body: unknown) =>
      asCaller(produceEvent(topic, body, { headers }), iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE'));
    const bob = (body: unknown) => asCaller(produceEvent(topic, body, { headers }), jwtAuthorizer({ iss: 'https://issuer.example.com/', sub: 'bob' }));

    const first = await runtime.handler(alice({ records: [{ value: 'from alice' }] }));
    // Another body under the same key: for another caller, not a 422 (nor a 409, nor alice's answer).
    const second = await runtime.handler(bob({ records: [{ value: 'from bob' }, { value: 'and more' }] }));
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.headers).not.toHaveProperty('Idempotent-Replayed');
    expect(offsetsOf(second)).toHaveLength(2);
    expect(second.body).not.toBe(first.body);

    const replay = await runtime.handler(alice({ records: [{ value: 'from alice' }] }));
    expect(replay.statusCode).toBe(200);
    expect(replay.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(replay.body).toBe(first.body);

    const [{ offset: lastOffset }] = (offsetsOf(second) as { offset: number }[]).slice(-1) as [{ offset: number }];
    const read = await readBack(topic, lastOffset + 1);
    const ours = read.filter((record) => String(record.headers['message-id']).startsWith('shared-key-1:'));
    // Expected digests: printf 'iam:AIDAEXAMPLEALICE' | sha256sum, and the same for bob's issuer and subject.
    expect(ours.map((record) => [record.value?.toString(), record.headers['message-id'], digestInHeader(record.headers['x-caller-id'])])).toEqual([
      ['"from alice"', 'shared-key-1:0', 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196'],
      ['"from bob"', 'shared-key-1:0', 'sha256:339a9d1d8e15598287d43300cd3b55de275e4fefc6176e8a9ea7c8ecd768d4c2'],
      ['"and more"', 'shared-key-1:1', 'sha256:339a9d1d8e15598287d43300cd3b55de275e4fefc6176e8a9ea7c8ecd768d4c2'],
    ]);
  });

  it('answers 422 42202 when the key is reused with a different body', async () => {
    const headers = { 'idempotency-key': 'mismatch-1' };
    expect((await runtime.handler(produceEvent(topic, { records: [{ value: 1 }] }, { headers }))).statusCode).toBe(200);
    const other = await runtime.handler(produceEvent(topic, { records: [{ value: 2 }] }, { headers }));
    expect(other.statusCode).toBe(422);
    expect(JSON.parse(other.body as string)).toEqual({
      error_code: 42202,
      message: 'Idempotency-Key was already used with a different request',
    });
  });

  it('answers 409 40901 while another invocation holds the key', async () => {
    const body = JSON.stringify({ records: [{ value: 'held' }] });
    // Another container's request, mid-flight: the key claimed for this very request (same,
    // anonymous, caller: printf 'anonymous' | sha256sum), lease live.
    const store = new DynamoIdempotencyStore(createDynamoClient(config.aws), config.tables.idempotency);
    const nowMs = Date.now();
    const outcome = await store.claim(
      {
        key: `produce:sha256:2f183a4e64493af3f377f745eda502363cd3e7ef6e4d266d444758de0a85fcc8:${topic}:held-1`,
        owner: 'another-invocation',
        payloadHash: produceRequestHash(topic, JSON_V2, Buffer.from(body)),
        leaseExpiresAtMs: nowMs + 30_000,
        expiresAtEpochSec: Math.floor(nowMs / 1000) + 60,
      },
      nowMs,
    );
    expect(outcome.claimed).toBe(true);
    const blocked = await runtime.handler(produceEvent(topic, body, { headers: { 'idempotency-key': 'held-1' } }));
    expect(blocked.statusCode).toBe(409);
    expect(JSON.parse(blocked.body as string)).toEqual({
      error_code: 40901,
      message: 'a request with this Idempotency-Key is still in progress; retry later',
    });
  });

  it('lets exactly one of two concurrent requests with one key produce', async () => {
    const solo = await createTestTopic('produce-idem-race', 1);
    const body = JSON.stringify({ records: [{ value: 'once' }] });
    const headers = { 'idempotency-key': 'race-1' };
    const results = await Promise.all([runtime.handler(produceEvent(solo, body, { headers })), runtime.handler(produceEvent(solo, body, { headers }))]);
    const produced = results.filter((result) => result.statusCode === 200 && result.headers?.['Idempotent-Replayed'] === undefined);
    const others = results.filter((result) => !produced.includes(result));
    expect(produced).toHaveLength(1);
    expect(others).toHaveLength(1);
    // The other one either found the key in flight (409) or, if it came late, got the replay.
    const other = others[0] as Result;
    expect(other.statusCode === 409 || other.headers?.['Idempotent-Replayed'] === 'true').toBe(true);
    const marker = await runtime.handler(produceEvent(solo, { records: [{ value: 'marker' }] }));
    expect(offsetsOf(marker)).toEqual([{ partition: 0, offset: 1, error_code: null, error: null }]);
  });

  it('gives the key up when the produce fails, so that the retry of the same body produces at once, and another body is refused', async () => {
    const later = uniqueName('produce-idem-later');
    const body = JSON.stringify({ records: [{ value: 'retry me' }] });
    const headers = { 'idempotency-key': 'release-1' };
    const failed = await runtime.handler(produceEvent(later, body, { headers }));
    expect(failed.statusCode).toBe(404);
    const other = await runtime.handler(produceEvent(later, JSON.stringify({ records: [{ value: 'another' }] }), { headers }));
    expect(other.statusCode).toBe(422);
    expect(JSON.parse(other.body as string)).toMatchObject({ error_code: 42202 });
    await ensureTopics(testKafka(), [{ topic: later, numPartitions: 1 }]);
    const retried = await runtime.handler(produceEvent(later, body, { headers }));
    expect(retried.statusCode).toBe(200);
    expect(offsetsOf(retried)).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);
  });

  it('produces again once the stored response has expired (IDEMPOTENCY_TTL_SECONDS)', async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 1));
    const timed = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger, clock }));
    const solo = await createTestTopic('produce-idem-ttl', 1);
    const body = JSON.stringify({ records: [{ value: 'ttl' }] });
    const headers = { 'idempotency-key': 'ttl-1' };
    try {
      const first = await timed.handler(produceEvent(solo, body, { headers }));
      expect(offsetsOf(first)).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);
      clock.advance(59_000);
      const replay = await timed.handler(produceEvent(solo, body, { headers }));
      expect(replay.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
      clock.advance(1_000);
      const fresh = await timed.handler(produceEvent(solo, body, { headers }));
      expect(fresh.statusCode).toBe(200);
      expect(fresh.headers).not.toHaveProperty('Idempotent-Replayed');
      expect(offsetsOf(fresh)).toEqual([{ partition: 0, offset: 1, error_code: null, error: null }]);
    } finally {
      await timed.close();
    }
  });
});
