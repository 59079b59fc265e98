/**
 * End-to-end figures of the local pipeline, in process (the same wiring as `npm start`):
 * throughput from the first POST to the last sink write, and the latency of one message
 * from its POST to its sink write (the item's `processedAt`).
 *
 *   KAFKA_BROKERS=... DYNAMODB_ENDPOINT=... npx tsx bench/e2e.ts [--messages N] [--per-request N]
 *     [--concurrency N] [--samples N] [--window-ms MS]
 *
 * Without the two variables it starts its own broker and store, as `npm start` does.
 * `--window-ms` overrides the batching window (default: deploy/event-source.json's, in seconds).
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../lib/dynamo/client';
import { startLocalRuntime } from '../local/runtime';
import { createLogger } from '../lib/logger';
import { localSinkId } from './records';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

const messages = option('messages', 5_000);
const perRequest = option('per-request', 50);
const concurrency = option('concurrency', 8);
const samples = option('samples', 20);
const windowIndex = process.argv.indexOf('--window-ms');
const batchingWindowMs = windowIndex < 0 ? undefined : option('window-ms', 0);

const run = `e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const tables = { idempotency: `${run}-idempotency`, messages: `${run}-messages` };
const runtime = await startLocalRuntime({
  env: { IDEMPOTENCY_TABLE: tables.idempotency, MESSAGES_TABLE: tables.messages, PORT: '0', ALLOWED_TOPICS: '*' },
  eventSource: { topic: `${run}-events`, onFailureTopic: `${run}-dlq`, consumerGroupId: `${run}-group` },
  ...(batchingWindowMs === undefined ? {} : { batchingWindowMs }),
  logger: createLogger('warn', (line) => process.stderr.write(`${line}\n`)),
});
const dynamo = createDynamoClient(runtime.config.aws);
const topicUrl = `${runtime.httpUrl}/topics/${runtime.settings.topic}`;

async function post(records: unknown[]): Promise<void> {
  const response = await fetch(topicUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: JSON.stringify({ records }),
  });
  if (response.status !== 200) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function sinkCount(): Promise<{ count: number; lastProcessedAtMs: number }> {
  let count = 0;
  let lastProcessedAtMs = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: tables.messages, ProjectionExpression: 'processedAt', ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
    );
    for (const item of page.Items ?? []) {
      count += 1;
      lastProcessedAtMs = Math.max(lastProcessedAtMs, Date.parse(item.processedAt?.S ?? '0'));
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return { count, lastProcessedAtMs };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

try {
  // Latency first, on an idle pipeline: one message at a time, POST start to its processedAt.
  const latencies: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const messageId = `${run}-latency-${sample}`;
    const startedMs = Date.now();
    await post([{ key: `latency-${sample}`, value: { sample }, headers: [{ name: 'message-id', value: Buffer.from(messageId).toString('base64') }] }]);
    for (;;) {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: tables.messages, Key: { messageId: { S: localSinkId(messageId) } } }));
      if (Item !== undefined) {
        latencies.push(Date.parse(Item.processedAt?.S ?? '0') - startedMs);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  latencies.sort((a, b) => a - b);

  // Throughput: `messages` over HTTP in `concurrency` streams of `perRequest`-record requests.
  const requests = Math.ceil(messages / perRequest);
  let next = 0;
  const firstPostMs = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let request = next++; request < requests; request = next++) {
        const count = Math.min(perRequest, messages - request * perRequest);
        await post(Array.from({ length: count }, (_, index) => ({ key: `key-${(request * perRequest + index) % 64}`, value: { request, index } })));
      }
    }),
  );
  const postedMs = Date.now();
  let sink = await sinkCount();
  while (sink.count < messages + samples) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    sink = await sinkCount();
  }
  const seconds = (sink.lastProcessedAtMs - firstPostMs) / 1_000;
  const stats = runtime.emulator.stats();
  const result = {
    messages,
    perRequest,
    concurrency,
    batchingWindowMs: batchingWindowMs ?? runtime.settings.maximumBatchingWindowInSeconds * 1_000,
    batchSize: runtime.settings.batchSize,
    endToEndMsgsPerSec: Math.round(messages / seconds),
    produceMsgsPerSec: Math.round(messages / ((postedMs - firstPostMs) / 1_000)),
    firstPostToLastSinkWriteMs: sink.lastProcessedAtMs - firstPostMs,
    latencyMs: { samples, min: latencies[0], median: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: latencies[latencies.length - 1] },
    emulator: stats,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  dynamo.destroy();
  await runtime.stop();
}
