/**
 * Where the local HTTP server's time goes at 100 records/request. Two parts:
 *
 * 1. Against the real broker, one request at a time, subjects taking turns in rotating order:
 *    kafkajs alone, the produce handler in process, `npm start`'s server in its own process
 *    with global fetch and with the bench's kept-alive node:http client, the same server code
 *    in this process, and a bare node:http server in a child process that answers at once
 *    (the HTTP round trip across processes alone). Differences of medians isolate the client,
 *    the round trip and the server.
 * 2. With Kafka taken out, in this process: local/http-server.ts around a handler that answers
 *    at once, against a bare node:http server doing the same, back to back. The difference is
 *    the server code's own work per request (body reading, the payload v2 event, the response).
 *
 * Usage: `npx tsx bench/http-probe.ts [requests] [cpu-profile-folder]` (the profile is of the
 * `npm start` process; summarise it with bench/top-functions.ts).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProduceRuntime } from '../lib/produce';
import { createCallerKeySource } from '../lib/caller-mac/key-source';
import { createLogger, silentLogger } from '../lib/logger';
import { createDynamoClient } from '../lib/dynamo/client';
import { createKafka } from '../lib/kafka/client';
import { ensureTables } from '../local/dynamo/tables';
import { ensureTopics } from '../local/kafka/admin';
import { startHttpServer } from '../local/http-server';
import { createHttpPoster } from './http-client';
import { startPipeline } from './pipeline';
import { handlerSubject, kafkajsSubject, sendChecked } from './produce';
import { makeRecords, produceRequestBody, type BenchRecord } from './records';
import { benchConfig, benchName, pipelineEnv, startBenchServices } from './services';
import { median, percentile } from './stats';

const requests = Number(process.argv[2] ?? 300);
const profileDir = process.argv[3];
const SIZE = 100;
const SERVER_ONLY_REQUESTS = 2_000;
const HEADERS = { 'content-type': 'application/vnd.kafka.json.v2+json' };
// What the produce function answers for 100 records, about the size of the real answer.
const ANSWER = JSON.stringify({ offsets: Array.from({ length: SIZE }, (_, index) => ({ partition: index % 4, offset: 1000 + index })) });

type Send = (records: readonly BenchRecord[]) => Promise<void>;

function viaFetch(url: string): Send {
  return async (records) => {
    const response = await fetch(url, { method: 'POST', headers: HEADERS, body: produceRequestBody(records) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text}`);
  };
}

function viaNodeHttp(url: string): Send {
  const poster = createHttpPoster(url);
  return async (records) => {
    const response = await poster.post(produceRequestBody(records), HEADERS);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${response.body}`);
  };
}

const BARE_SERVER = `const s=require('node:http').createServer((q,r)=>{q.resume();q.on('end',()=>{const b=Buffer.from(process.env.ANSWER);r.writeHead(200,{'content-type':'application/json','content-length':b.length});r.end(b)})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;

/** A bare node:http server in a child process that reads the body and answers at once. */
async function bareChildServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ANSWER } });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function interleaved(subjects: readonly [string, Send][], count: number, size: number): Promise<Map<string, number[]>> {
  const latencies = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  for (let index = 0; index < count; index++) {
    for (let turn = 0; turn < subjects.length; turn++) {
      const [name, send] = subjects[(index + turn) % subjects.length] as [string, Send];
      const records = makeRecords(size, `probe-${index}`);
      const started = performance.now();
      await send(records);
      latencies.get(name)?.push(performance.now() - started);
    }
  }
  return latencies;
}

async function againstKafka(): Promise<void> {
  const logger = createLogger('info', (line) => process.stderr.write(`[probe] ${line}\n`));
  const services = await startBenchServices(logger);
  const config = benchConfig(services);
  const topic = benchName('probe');
  await ensureTopics(createKafka(config.kafka, { logger: silentLogger }), [{ topic, numPartitions: 4 }]);
  await ensureTables(createDynamoClient(config.aws), config.tables);
  const pipeline = await startPipeline(
    await pipelineEnv(services, config),
    120_000,
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  const direct = await kafkajsSubject(services.kafkaBrokers, topic, await createCallerKeySource(config.callerKeys).keys());
  const handler = handlerSubject(createProduceRuntime(config, { logger: silentLogger }), topic);
  const inProcessRuntime = createProduceRuntime(config, { logger: silentLogger });
  const inProcess = await startHttpServer({ handler: (event) => inProcessRuntime.handler(event), port: 0, maxBodyBytes: 10_000_000, logger: silentLogger });
  const bare = await bareChildServer();
  const path = `/topics/${topic}`;
  const names = {
    direct: 'kafkajs direct',
    handler: 'handler in process',
    serverFetch: 'npm start server, fetch',
    server: 'npm start server, node:http keep-alive',
    inProcess: 'same server in process, node:http',
    bareFetch: 'bare child server, fetch',
    bare: 'bare child server, node:http',
  } as const;
  const subjects: [string, Send][] = [
    [names.direct, (records) => sendChecked(direct.prepare(records))],
    [names.handler, (records) => sendChecked(handler.prepare(records))],
    [names.serverFetch, viaFetch(`${pipeline.httpUrl}${path}`)],
    [names.server, viaNodeHttp(`${pipeline.httpUrl}${path}`)],
    [names.inProcess, viaNodeHttp(`${inProcess.url}${path}`)],
    [names.bareFetch, viaFetch(`${bare.url}${path}`)],
    [names.bare, viaNodeHttp(`${bare.url}${path}`)],
  ];
  try {
    await interleaved(subjects, 20, SIZE);
    const latencies = await interleaved(subjects, requests, SIZE);
    const p50 = (name: string): number => median(latencies.get(name) ?? [0]);
    console.log(`against Kafka: ${requests} requests of ${SIZE} records per subject, interleaved`);
    for (const [name] of subjects) {
      const values = latencies.get(name) ?? [];
      console.log(
        `  ${name.padEnd(40)} p50 ${p50(name).toFixed(3)} ms  p99 ${percentile(values, 99).toFixed(3)} ms  x direct ${(p50(names.direct) / p50(name)).toFixed(2)}`,
      );
    }
    const line = (label: string, ms: number): void => console.log(`  ${label.padEnd(56)} ${ms.toFixed(3)} ms`);
    line('fetch - node:http, bare server (the client)', p50(names.bareFetch) - p50(names.bare));
    line('fetch - node:http, npm start server (the client)', p50(names.serverFetch) - p50(names.server));
    line('npm start server (node:http) - handler in process', p50(names.server) - p50(names.handler));
    line('bare server round trip, body stringified included', p50(names.bare));
    line('npm start server - same server in this process', p50(names.server) - p50(names.inProcess));
  } finally {
    bare.stop();
    await inProcess.stop();
    await inProcessRuntime.close();
    await handler.close();
    await direct.close();
    await pipeline.stop();
    await services.stop();
  }
}

async function serverCodeOnly(): Promise<void> {
  const result = { statusCode: 200, headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: ANSWER };
  const ours = await startHttpServer({ handler: async () => result, port: 0, maxBodyBytes: 10_000_000, logger: silentLogger });
  const bare = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const body = Buffer.from(ANSWER);
      response.writeHead(200, { 'content-type': 'application/vnd.kafka.v2+json', 'content-length': String(body.length) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/topics/t`;
  const subjects: [string, Send][] = [
    ['local/http-server.ts, instant handler', viaNodeHttp(`${ours.url}/topics/t`)],
    ['bare node:http server', viaNodeHttp(bareUrl)],
  ];
  try {
    await interleaved(subjects, 200, SIZE);
    const latencies = await interleaved(subjects, SERVER_ONLY_REQUESTS, SIZE);
    console.log(`server code alone, in this process: ${SERVER_ONLY_REQUESTS} requests of ${SIZE} records each, interleaved`);
    for (const [name] of subjects) console.log(`  ${name.padEnd(40)} p50 ${median(latencies.get(name) ?? [0]).toFixed(3)} ms`);
    const [oursName, bareName] = subjects.map(([name]) => name) as [string, string];
    console.log(`  the server's own work per request: ${(median(latencies.get(oursName) ?? [0]) - median(latencies.get(bareName) ?? [0])).toFixed(3)} ms`);
  } finally {
    await ours.stop();
    bare.close();
  }
}

await serverCodeOnly();
await againstKafka();
