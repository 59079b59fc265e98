/**
 * Latency of the produce handler against a direct kafkajs `send` with acks=-1, same records,
 * same run, requests interleaved so both see the same broker. Prints median and p99 per
 * request size and the handler/direct ratio.
 *
 * Usage: `KAFKA_BROKERS=127.0.0.1:19092 npx tsx bench/produce-latency.ts [rounds]`
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { ensureTopics } from '../local/kafka/admin';
import { silentLogger } from '../lib/logger';
import { createProduceRuntime } from '../lib/produce';
import { median, percentile } from './stats';

const rounds = Number(process.argv[2] ?? 200);
const config = loadConfig({ ALLOWED_TOPICS: '*' });
const brokers = config.kafka.brokers;
const topic = `bench-latency-${Date.now().toString(36)}`;

/** The parts of an HTTP API payload v2 event the handler reads. */
function event(body: string): APIGatewayProxyEventV2 {
  const path = `/topics/${topic}`;
  const partial = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    requestContext: { http: { method: 'POST', path } },
    body,
    isBase64Encoded: false,
  };
  return partial as unknown as APIGatewayProxyEventV2;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-direct', brokers, logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
  const direct = kafka.producer();
  await direct.connect();
  const runtime = createProduceRuntime(config, { logger: silentLogger });

  console.log(`produce latency, ${rounds} requests per size, broker ${brokers.join(',')}, topic ${topic}`);
  console.log('size | handler p50 ms | handler p99 ms | direct p50 ms | direct p99 ms | p50 ratio | p99 ratio');
  for (const size of [1, 100]) {
    const values = Array.from({ length: size }, (_, i) => ({ id: i, note: 'benchmark record', at: '2026-11-27T00:00:00Z' }));
    const body = JSON.stringify({ records: values.map((value, i) => ({ key: `k${i}`, value })) });
    const messages = () => values.map((value, i) => ({ key: `"k${i}"`, value: JSON.stringify(value), headers: { 'message-id': randomUUID() } }));
    const handlerMs: number[] = [];
    const directMs: number[] = [];
    const viaHandler = async (): Promise<void> => {
      const result = await runtime.handler(event(body));
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
    };
    const viaKafkajs = async (): Promise<void> => {
      await direct.send({ topic, acks: -1, messages: messages() });
    };
    for (let i = 0; i < 20; i += 1) {
      await viaHandler();
      await viaKafkajs();
    }
    for (let i = 0; i < rounds; i += 1) {
      // Alternate which goes first so neither always meets a freshly idle broker.
      if (i % 2 === 0) {
        handlerMs.push(await timed(viaHandler));
        directMs.push(await timed(viaKafkajs));
      } else {
        directMs.push(await timed(viaKafkajs));
        handlerMs.push(await timed(viaHandler));
      }
    }
    const row = [median(handlerMs), percentile(handlerMs, 99), median(directMs), percentile(directMs, 99)];
    console.log(
      `${size} | ${row.map((ms) => ms.toFixed(2)).join(' | ')} | ${((row[0] as number) / (row[2] as number)).toFixed(2)} | ${((row[1] as number) / (row[3] as number)).toFixed(2)}`,
    );
  }
  await runtime.close();
  await direct.disconnect();
}

await main();
