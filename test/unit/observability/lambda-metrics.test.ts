/**
 * The handlers invoked as Lambda invokes them (no logger given, in Lambda by the environment)
 * write their log lines and EMF metrics to stdout through Powertools; these tests read them there.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { createConsumeRuntime } from '../../../lib/consume';
import type { ConsumedRecord, RecordProcessor } from '../../../lib/consume';
import { RecordsNotAcknowledgedError } from '../../../lib/errors';
import { createProduceRuntime } from '../../../lib/produce';
import { TEST_CALLER_KEYS } from '../../helpers/caller-keys';
import { asCaller, iamAuthorizer, produceEvent } from '../../helpers/http-events';
import { kafkaEvent } from '../../helpers/kafka-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from '../produce/fakes';

const lambdaEnv = {
  AWS_LAMBDA_FUNCTION_NAME: 'pipeline-consume',
  KAFKA_BROKERS: '127.0.0.1:1',
  ALLOWED_TOPICS: 'orders',
  POWERTOOLS_SERVICE_NAME: 'orders-pipeline',
  POWERTOOLS_METRICS_NAMESPACE: 'TestPipeline',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  CALLER_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:caller-keys-AbCdEf',
  PRODUCE_RATE_LIMIT_PER_SEC: '0',
};

/** The event as API Gateway's IAM authorizer delivers it: in Lambda a request without a caller is refused. */
const asAlice = (event: ReturnType<typeof produceEvent>) => asCaller(event, iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE'));

function lambdaContext(functionName: string, awsRequestId: string): Context {
  return {
    functionName,
    awsRequestId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let lines: Record<string, unknown>[];

beforeEach(() => {
  lines = [];
  // Lambda sets this; Powertools counts a cold start only for on-demand initialisation.
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  // Lambda sends both streams to CloudWatch Logs; Powertools writes warnings and errors to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const emfLines = (): Emf[] => lines.filter((line): line is Emf => '_aws' in line);
const logLines = (): Record<string, unknown>[] => lines.filter((line) => !('_aws' in line));

/** The metric names of an EMF line with their values, and its dimensions. */
function metricsOf(emf: Emf): { dimensions: Record<string, unknown>; values: Record<string, unknown> } {
  const [directive] = emf._aws.CloudWatchMetrics;
  const dimensions = Object.fromEntries((directive?.Dimensions[0] ?? []).map((name) => [name, emf[name]]));
  const values = Object.fromEntries((directive?.Metrics ?? []).map(({ Name }) => [Name, emf[Name]]));
  return { dimensions, values };
}

/** Applies records, failing the one at orders-1 offset 5. */
const processor: RecordProcessor = {
  async process(record: ConsumedRecord) {
    if (record.partition === 1 && record.offset === 5) throw new Error('the business step refused it');
  },
};

describe('consume handler in Lambda', () => {
  it('writes one EMF line of batch counts, one per failure class and the cold start', async () => {
    const runtime = createConsumeRuntime(loadConfig(lambdaEnv), {
      processor,
      store: new MemoryIdempotencyStore(),
      scope: 'metrics-test',
      callerKeys: TEST_CALLER_KEYS,
    });
    const event = kafkaEvent([
      { partition: 0, offset: 0, value: { n: 0 }, headers: { 'message-id': 'm-0' } },
      // The same message again: skipped as a duplicate.
      { partition: 0, offset: 1, value: { n: 0 }, headers: { 'message-id': 'm-0' } },
      { partition: 0, offset: 2, value: { n: 2 }, headers: { 'message-id': 'm-2' } },
      // Written back by a redrive: counted as such.
      { partition: 1, offset: 5, value: { n: 5 }, headers: { 'message-id': 'm-5', 'redriven-from': 'events-dlq/0/3' } },
      { partition: 1, offset: 6, value: { n: 6 }, headers: { 'message-id': 'm-6' } },
    ]);

    const response = await runtime.handler(event, lambdaContext('pipeline-consume', 'req-1'));
    await runtime.close();

    expect(response.batchItemFailures).toHaveLength(2);
    const emf = emfLines().map(metricsOf);
    expect(emf).toEqual([
      { dimensions: { service: 'orders-pipeline', function_name: 'pipeline-consume' }, values: { ColdStart: 1 } },
      {
        dimensions: { service: 'orders-pipeline' },
        values: {
          BatchDuration: expect.any(Number),
          RecordsReceived: 5,
          RecordsProcessed: 2,
          RecordsSkippedDuplicate: 1,
          RecordsFailed: 2,
          PayloadConflicts: 0,
          PartitionsPerEvent: 2,
          RecordsRedriven: 1,
        },
      },
      { dimensions: { service: 'orders-pipeline', reason: 'processor-error' }, values: { RecordsFailedByReason: 1 } },
      { dimensions: { service: 'orders-pipeline', reason: 'after-earlier-failure' }, values: { RecordsFailedByReason: 1 } },
    ]);
    expect(emfLines().every((line) => line._aws.CloudWatchMetrics[0]?.Namespace === 'TestPipeline')).toBe(true);
    expect(emfLines()[1]?._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({ Name: 'BatchDuration', Unit: 'Milliseconds' });
  });

  it('logs JSON lines with the Lambda context and the batch position as correlation id, never the records', async () => {
    const runtime = createConsumeRuntime(loadConfig(lambdaEnv), {
      processor,
      store: new MemoryIdempotencyStore(),
      scope: 'metrics-test',
      callerKeys: TEST_CALLER_KEYS,
    });
    await runtime.handler(kafkaEvent([{ partition: 1, offset: 5, value: { secret: 'card-4111' } }]), lambdaContext('pipeline-consume', 'req-2'));
    await runtime.close();

    const logs = logLines();
    expect(logs.map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'record failed'],
      ['INFO', 'consume batch'],
    ]);
    expect(logs[1]).toMatchObject({
      service: 'orders-pipeline',
      function_name: 'pipeline-consume',
      function_request_id: 'req-2',
      cold_start: true,
      correlation_id: 'orders-1@5',
      records: 1,
      failed: 1,
      failedByClass: { 'processor-error': 1 },
    });
    expect(JSON.stringify(lines)).not.toContain('card-4111');
  });
});

describe('produce handler in Lambda', () => {
  const config = loadConfig({ ...lambdaEnv, AWS_LAMBDA_FUNCTION_NAME: 'pipeline-produce' });

  it('counts produced records, the acknowledgement wait and the 2xx outcome', async () => {
    const producer = fakeProducer({
      partitions: 2,
      send: () => ({
        partitions: [0, 1, 0],
        acks: [
          { partition: 0, baseOffset: 7n },
          { partition: 1, baseOffset: 3n },
        ],
      }),
    });
    const runtime = createProduceRuntime(config, { producer, store: new MemoryIdempotencyStore({ returnExisting: true }), callerKeys: TEST_CALLER_KEYS });
    const result = await runtime.handler(
      asAlice(produceEvent('orders', { records: [{ value: 1 }, { value: 2 }, { value: 3 }] })),
      lambdaContext('pipeline-produce', 'req-3'),
    );
    await runtime.close();

    expect(result.statusCode).toBe(200);
    expect(emfLines().map(metricsOf)).toEqual([
      { dimensions: { service: 'orders-pipeline', function_name: 'pipeline-produce' }, values: { ColdStart: 1 } },
      { dimensions: { service: 'orders-pipeline' }, values: { AckWait: expect.any(Number), RecordsProduced: 3 } },
      { dimensions: { service: 'orders-pipeline', outcome: '2xx' }, values: { Requests: 1 } },
    ]);
  });

  it('counts a refused request as 4xx and records not acknowledged as 5xx, with no records produced', async () => {
    const producer = fakeProducer({ send: () => Promise.reject(new RecordsNotAcknowledgedError('NOT_ENOUGH_REPLICAS')) });
    const runtime = createProduceRuntime(config, { producer, store: new MemoryIdempotencyStore({ returnExisting: true }), callerKeys: TEST_CALLER_KEYS });
    const forbidden = await runtime.handler(asAlice(produceEvent('payments', { records: [{ value: 1 }] })), lambdaContext('pipeline-produce', 'req-4'));
    const unacknowledged = await runtime.handler(asAlice(produceEvent('orders', { records: [{ value: 1 }] })), lambdaContext('pipeline-produce', 'req-5'));
    await runtime.close();

    expect([forbidden.statusCode, unacknowledged.statusCode]).toEqual([403, 503]);
    expect(emfLines().map(metricsOf)).toEqual([
      { dimensions: { service: 'orders-pipeline', function_name: 'pipeline-produce' }, values: { ColdStart: 1 } },
      { dimensions: { service: 'orders-pipeline', outcome: '4xx' }, values: { Requests: 1 } },
      // Nothing acknowledged, nothing counted as produced; the wait for the refusal is.
      { dimensions: { service: 'orders-pipeline' }, values: { AckWait: expect.any(Number) } },
      { dimensions: { service: 'orders-pipeline', outcome: '5xx' }, values: { Requests: 1 } },
    ]);
    const failure = logLines().find((line) => line.message === 'records not acknowledged');
    expect(failure).toMatchObject({ level: 'ERROR', correlation_id: 'test-request', function_request_id: 'req-5', cold_start: false });
  });

  it('names the request by the correlation id alone, adding no requestId field of its own', async () => {
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 1n }] }) });
    const runtime = createProduceRuntime(config, { producer, store: new MemoryIdempotencyStore({ returnExisting: true }), callerKeys: TEST_CALLER_KEYS });
    await runtime.handler(asAlice(produceEvent('orders', { records: [{ value: 1 }] })), lambdaContext('pipeline-produce', 'req-6'));
    await runtime.close();
    const request = logLines().find((line) => line.message === 'produce request');
    expect(request).toMatchObject({ correlation_id: 'test-request', function_request_id: 'req-6' });
    expect(request).not.toHaveProperty('requestId');
  });

  it('counts a replayed Idempotency-Key as a replay without producing again', async () => {
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 1n }] }) });
    const runtime = createProduceRuntime(config, { producer, store: new MemoryIdempotencyStore({ returnExisting: true }), callerKeys: TEST_CALLER_KEYS });
    const request = asAlice(produceEvent('orders', { records: [{ value: 1 }] }, { headers: { 'Idempotency-Key': 'k-1' } }));
    await runtime.handler(request, lambdaContext('pipeline-produce', 'req-6'));
    const replay = await runtime.handler(request, lambdaContext('pipeline-produce', 'req-7'));
    await runtime.close();

    expect(replay.headers?.['Idempotent-Replayed']).toBe('true');
    expect(producer.sent).toEqual([1]);
    expect(emfLines().map(metricsOf).slice(-2)).toEqual([
      { dimensions: { service: 'orders-pipeline' }, values: { IdempotentReplays: 1 } },
      { dimensions: { service: 'orders-pipeline', outcome: '2xx' }, values: { Requests: 1 } },
    ]);
  });
});
