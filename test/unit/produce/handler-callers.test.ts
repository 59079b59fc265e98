/**
 * Who may produce, as the handler decides it: in Lambda one identity per caller and none
 * served without one; locally the one anonymous caller.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../../lib/config';
import { createLogger, silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { asCaller, iamAuthorizer, jwtAuthorizer, produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

const lambdaEnv = { AWS_LAMBDA_FUNCTION_NAME: 'pipeline-produce', KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: 't', AWS_REGION: 'us-east-1' };
const localEnv = { AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' };
const body = (result: { body?: string }) => JSON.parse(result.body as string);
const request = (headers: Record<string, string> = {}) => produceEvent('t', { records: [{ value: 1 }] }, { headers });

function runtimeFor(config: AppConfig, lines?: string[]) {
  let offset = 0n;
  const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: offset++ }] }) });
  const logger = lines === undefined ? silentLogger : createLogger('info', (line) => lines.push(line));
  return { producer, runtime: createProduceRuntime(config, { logger, producer, store: new MemoryIdempotencyStore({ returnExisting: true }) }) };
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

describe('callers locally', () => {
  it('serves a request without an authorizer as the anonymous caller', async () => {
    const { runtime } = runtimeFor(loadConfig(localEnv));
    expect((await runtime.handler(request())).statusCode).toBe(200);
  });
});
