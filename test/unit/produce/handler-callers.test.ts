/**
 * Who may produce, as the handler decides it: in Lambda one identity per caller and none
 * served without one; locally the one anonymous caller.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../../lib/config';
import { createLogger, silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { verifyCallerHeader } from '../../../lib/caller-mac/header';
import { createCallerKeySource, type CallerKeySource } from '../../../lib/caller-mac/key-source';
import type { OutgoingRecord } from '../../../lib/kafka/producer';
import { TEST_CALLER_KEYS, TEST_KEY_RING, TEST_KEY_RING_TEXT } from '../../helpers/caller-keys';
import { asCaller, b64, iamAuthorizer, jwtAuthorizer, produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { FakeClock } from '../../helpers/fake-clock';
import { fakeProducer } from './fakes';

const lambdaEnv = {
  AWS_LAMBDA_FUNCTION_NAME: 'pipeline-produce',
  KAFKA_BROKERS: '127.0.0.1:1',
  ALLOWED_TOPICS: 't',
  AWS_REGION: 'us-east-1',
  CALLER_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:caller-keys-AbCdEf',
  // The rate limit has tests of its own below; elsewhere it would call DynamoDB.
  PRODUCE_RATE_LIMIT_PER_SEC: '0',
};
const localEnv = { AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' };
const body = (result: { body?: string }) => JSON.parse(result.body as string);
const request = (headers: Record<string, string> = {}) => produceEvent('t', { records: [{ value: 1 }] }, { headers });

function runtimeFor(config: AppConfig, lines?: string[], callerKeys: CallerKeySource = TEST_CALLER_KEYS) {
  let offset = 0n;
  const producer = fakeProducer({
    send: (records) => ({ partitions: Array(records).fill(0), acks: [{ partition: 0, baseOffset: (offset += BigInt(records)) - BigInt(records) }] }),
  });
  const logger = lines === undefined ? silentLogger : createLogger('info', (line) => lines.push(line));
  return { producer, runtime: createProduceRuntime(config, { logger, producer, store: new MemoryIdempotencyStore({ returnExisting: true }), callerKeys }) };
}

describe('callers in Lambda', () => {
  const config = loadConfig(lambdaEnv);

  it.each([
    ['no authorizer context', request()],
    ['a JWT without sub', asCaller(request(), jwtAuthorizer({ iss: 'https://issuer.example.com/', aud: 'x' }))],
    ['an IAM context without a principal id', asCaller(request(), { iam: { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:user/a' } })],
  ])('answers 401 40101 to a request with %s and produces nothing', async (_, event) => {
    const lines: string[] = [];
    const { runtime, producer } = runtimeFor(config, lines);
    const result = await runtime.handler(event);
    expect(result.statusCode).toBe(401);
    expect(body(result)).toEqual({ error_code: 40101, message: 'the request carries no authenticated caller' });
    expect(producer.sent).toEqual([]);
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'warn', message: 'produce request refused: no authenticated caller', topic: 't', requestId: 'test-request' }),
    ]);
  });

  it("gives two sessions of one role one Idempotency-Key scope: a session name cannot reach another's stored answer or mint a fresh scope", async () => {
    const { runtime, producer } = runtimeFor(config);
    const session = (name: string) =>
      asCaller(request({ 'idempotency-key': 'order-1' }), iamAuthorizer(`arn:aws:sts::123456789012:assumed-role/producer/${name}`, `AROAEXAMPLEROLE:${name}`));
    const first = await runtime.handler(session('alice'));
    const renamed = await runtime.handler(session('someone-else'));
    expect([first.statusCode, renamed.statusCode]).toEqual([200, 200]);
    // One role, one caller: the second session gets the first one's stored answer, and nothing is produced twice.
    expect(renamed.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(producer.sent).toEqual([1]);
  });

  it('tells sessions apart when the session names are trusted (CALLER_SESSION_NAME_TRUSTED)', async () => {
    const { runtime, producer } = runtimeFor(loadConfig({ ...lambdaEnv, CALLER_SESSION_NAME_TRUSTED: 'true' }));
    const session = (name: string) =>
      asCaller(request({ 'idempotency-key': 'order-1' }), iamAuthorizer(`arn:aws:sts::123456789012:assumed-role/producer/${name}`, `AROAEXAMPLEROLE:${name}`));
    const first = await runtime.handler(session('alice'));
    const other = await runtime.handler(session('bob'));
    expect([first.statusCode, other.statusCode]).toEqual([200, 200]);
    expect(other.headers).not.toHaveProperty('Idempotent-Replayed');
    expect(producer.sent).toEqual([1, 1]);
  });

  it('serves an identified caller', async () => {
    const { runtime } = runtimeFor(config);
    const result = await runtime.handler(asCaller(request(), jwtAuthorizer({ iss: 'https://issuer.example.com/', sub: 'user-1' })));
    expect(result.statusCode).toBe(200);
  });
});

describe('the allow-list in Lambda', () => {
  const config = loadConfig({
    ...lambdaEnv,
    PRODUCE_ALLOWED_PRINCIPALS: 'arn:aws:iam::111122223333:role/orders-writer',
    PRODUCE_ALLOWED_ORG_ID: 'o-a1b2c3d4e5',
  });
  const session = (role: string, account: string, orgId: string | null = null) =>
    asCaller(request(), iamAuthorizer(`arn:aws:sts::${account}:assumed-role/${role}/s`, `AROAEXAMPLE${role.length}:s`, orgId));

  it('serves a listed role and a principal of the listed organisation', async () => {
    const { runtime, producer } = runtimeFor(config);
    expect((await runtime.handler(session('orders-writer', '111122223333'))).statusCode).toBe(200);
    expect((await runtime.handler(session('anything', '444455556666', 'o-a1b2c3d4e5'))).statusCode).toBe(200);
    expect(producer.sent).toEqual([1, 1]);
  });

  it.each([
    ['another role of the account', session('orders-reader', '111122223333')],
    ['another organisation', session('orders-writer', '444455556666', 'o-zzzzzzzzzz')],
    ['a JWT caller', asCaller(request(), jwtAuthorizer({ iss: 'https://issuer.example.com/', sub: 'user-1' }))],
  ])('answers 403 40302 to %s, produces nothing and logs who it was', async (_, event) => {
    const lines: string[] = [];
    const { runtime, producer } = runtimeFor(config, lines);
    const result = await runtime.handler(event);
    expect(result.statusCode).toBe(403);
    expect(body(result)).toEqual({ error_code: 40302, message: 'this caller may not produce to this API' });
    expect(producer.sent).toEqual([]);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      message: 'produce request refused: caller not allowed',
      callerDigest: expect.stringMatching(/^sha256:/),
    });
  });
});

describe('the caller header in Lambda', () => {
  const config = loadConfig(lambdaEnv);
  // printf 'iam:AIDAEXAMPLEALICE' | sha256sum
  const ALICE = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
  const alice = (records: unknown[]) => asCaller(produceEvent('t', { records }), iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE'));

  it("stamps every record with a header that the consumer's check verifies as the caller, and only for that record", async () => {
    const { runtime, producer } = runtimeFor(config);
    const result = await runtime.handler(
      alice([
        { key: 'k', value: { n: 1 } },
        { value: { n: 2 }, headers: [{ name: 'message-id', value: b64('mine') }] },
      ]),
    );
    expect(result.statusCode).toBe(200);
    const [first, second] = producer.sentRecords;
    const macedOf = (record: OutgoingRecord) => ({
      topic: 't',
      messageId: record.headers.filter((header) => header.name === 'message-id').at(-1)?.value ?? null,
      key: record.key,
      value: record.value,
    });
    const headerOf = (record: OutgoingRecord) => record.headers.find((header) => header.name === 'x-caller-id')?.value as Buffer;
    expect(verifyCallerHeader(TEST_KEY_RING, headerOf(first as OutgoingRecord), macedOf(first as OutgoingRecord))).toEqual({ verified: true, callerId: ALICE });
    expect(verifyCallerHeader(TEST_KEY_RING, headerOf(second as OutgoingRecord), macedOf(second as OutgoingRecord))).toEqual({
      verified: true,
      callerId: ALICE,
    });
    // One record's header on the other does not verify.
    expect(verifyCallerHeader(TEST_KEY_RING, headerOf(first as OutgoingRecord), macedOf(second as OutgoingRecord))).toEqual({
      verified: false,
      reason: 'bad-mac',
    });
  });

  it('reads the key secret once per container', async () => {
    let reads = 0;
    const callerKeys = createCallerKeySource({ secretArn: lambdaEnv.CALLER_KEY_SECRET_ARN, region: 'us-east-1' }, async () => {
      reads += 1;
      return TEST_KEY_RING_TEXT;
    });
    const { runtime } = runtimeFor(config, undefined, callerKeys);
    for (let n = 0; n < 3; n += 1) expect((await runtime.handler(alice([{ value: n }]))).statusCode).toBe(200);
    expect(reads).toBe(1);
  });

  it('answers 503 50303 and produces nothing while the key secret cannot be read, without naming it', async () => {
    const callerKeys = createCallerKeySource({ secretArn: lambdaEnv.CALLER_KEY_SECRET_ARN, region: 'us-east-1' }, async () => {
      throw new Error(`AccessDeniedException on ${lambdaEnv.CALLER_KEY_SECRET_ARN}`);
    });
    const { runtime, producer } = runtimeFor(config, [], callerKeys);
    const result = await runtime.handler(alice([{ value: 1 }]));
    expect(result.statusCode).toBe(503);
    expect(body(result)).toEqual({ error_code: 50303, message: 'the caller key is unavailable; retry later' });
    expect(producer.sent).toEqual([]);
  });
});

describe('the per-caller rate limit in Lambda', () => {
  it('answers 429 42901 with Retry-After to a caller over its rate and produces nothing for it, while another caller is served', async () => {
    const clock = new FakeClock(1_800_000_000_250);
    const counts = new Map<string, number>();
    const requestCounter = {
      take: async (key: string, limit: number) => {
        const count = counts.get(key) ?? 0;
        if (count >= limit) return false;
        counts.set(key, count + 1);
        return true;
      },
    };
    const throttled: string[] = [];
    const metrics = { count: (name: string) => void throttled.push(name), durationMs: () => undefined, flush: () => undefined };
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] }) });
    const runtime = createProduceRuntime(loadConfig({ ...lambdaEnv, PRODUCE_RATE_LIMIT_PER_SEC: '2' }), {
      logger: silentLogger,
      metrics,
      clock,
      producer,
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      callerKeys: TEST_CALLER_KEYS,
      requestCounter,
    });
    const as = (userId: string) => asCaller(request(), iamAuthorizer(`arn:aws:iam::123456789012:user/${userId}`, userId));

    const burst = [];
    for (let n = 0; n < 5; n += 1) burst.push(await runtime.handler(as('AIDAEXAMPLEALICE')));
    expect(burst.map((result) => result.statusCode)).toEqual([200, 200, 429, 429, 429]);
    expect(burst[2]?.headers).toMatchObject({ 'Retry-After': '1' });
    expect(body(burst[2] as { body?: string })).toEqual({ error_code: 42901, message: 'more than 2 requests per second from this caller; retry after 1 s' });
    const other = [await runtime.handler(as('AIDAEXAMPLEBOB')), await runtime.handler(as('AIDAEXAMPLEBOB'))];
    expect(other.map((result) => result.statusCode)).toEqual([200, 200]);
    expect(producer.sent).toEqual([1, 1, 1, 1]);
    expect(throttled.filter((name) => name === 'RequestsThrottled')).toHaveLength(3);

    clock.nowValueMs += 1_000;
    expect((await runtime.handler(as('AIDAEXAMPLEALICE'))).statusCode).toBe(200);
  });
});

describe('callers locally', () => {
  it('serves a request without an authorizer as the anonymous caller', async () => {
    const { runtime } = runtimeFor(loadConfig(localEnv));
    expect((await runtime.handler(request())).statusCode).toBe(200);
  });
});
