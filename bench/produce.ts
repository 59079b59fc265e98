/**
 * Produce measurements: the same records sent, one request at a time, by a direct kafkajs
 * producer with acks=-1 (the limit), through the produce handler (the Lambda code path), and
 * through the local HTTP server. Each request's latency is recorded; throughput is records
 * acknowledged per second of wall time.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BenchRecord } from './records';
import { makeRecords, produceRequestBody, v3RecordsRequestBody } from './records';
import { median, pairedRatios, percentile, rotation } from './stats';
import type { ProduceRuntime } from '../lib/produce';
import { SubjectName } from './subject-names';
import { createHttpPoster } from './http-client';

/** One request, its input already in the subject's own shape: sends, resolves once every record is acknowledged. */
export type PreparedRequest = () => Promise<void>;

/** Something that produces a list of records and resolves once all are acknowledged. */
export interface ProduceSubject {
  name: string;
  /**
   * Puts `records` into the shape the subject takes (kafkajs messages, a request body) before
   * the clock starts, as the records themselves are made before it: building a caller's input
   * is not the subject's cost. The returned request throws when any record was not acknowledged.
   */
  prepare(records: readonly BenchRecord[]): PreparedRequest;
  close(): Promise<void>;
}

/** One subject's figures at one request size. */
export interface ProduceFigure {
  subject: string;
  recordsPerRequest: number;
  requestsPerRound: number;
  rounds: number;
  /** Median over rounds of the round's records acknowledged per second of wall time. */
  recordsPerSec: number;
  /**
   * Median over rounds of this subject's records/s divided by the baseline's in the same
   * round (1 for the baseline itself): drift between rounds cancels out of each quotient.
   */
  ratioToBaseline?: number;
  /** The per-round ratios the median above is taken from, in round order (subjects other than the baseline). */
  roundRatios?: number[];
  /** Percentiles of every request of every round. */
  p50Ms: number;
  p99Ms: number;
}

const CONTENT_TYPE = 'application/vnd.kafka.json.v2+json';

/** The limit: kafkajs' producer with acks=-1, the same records and headers, no HTTP or validation. */
export async function kafkajsSubject(brokers: string[], topic: string): Promise<ProduceSubject> {
  const producer = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  return {
    name: SubjectName.KafkajsProducer,
    prepare: (records) => {
      const messages = records.map((record) => ({ key: record.key, value: record.valueJson, headers: { 'message-id': record.messageId } }));
      return async () => {
        await producer.send({ topic, acks: -1, messages });
      };
    },
    close: () => producer.disconnect(),
  };
}

/** An API Gateway HTTP API (payload v2) event for `POST /topics/{topic}`, or another `path` and content type. */
export function produceEvent(topic: string, body: string, path = `/topics/${topic}`, contentType = CONTENT_TYPE): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': contentType },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.lambda-url.us-east-1.on.aws',
      domainPrefix: 'bench',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_764_201_600_000,
    },
    body,
    isBase64Encoded: false,
  };
}

/** The produce handler, called in process as Lambda would call it. */
export function handlerSubject(runtime: ProduceRuntime, topic: string): ProduceSubject {
  return {
    name: SubjectName.ProduceHandler,
    prepare: (records) => {
      const body = produceRequestBody(records);
      return async () => {
        const response = await runtime.handler(produceEvent(topic, body));
        if (response.statusCode !== 200) throw new Error(`produce handler answered ${response.statusCode}: ${response.body}`);
      };
    },
    close: () => runtime.close(),
  };
}

/**
 * The produce handler's v3 records route, called in process as Lambda would call it: the same
 * records in one request, as v3 `ProduceRequest`s one after another; every report must be 200.
 */
export function handlerV3Subject(runtime: ProduceRuntime, topic: string, clusterId: string): ProduceSubject {
  const path = `/v3/clusters/${clusterId}/topics/${topic}/records`;
  return {
    name: SubjectName.ProduceHandlerV3,
    prepare: (records) => {
      const body = v3RecordsRequestBody(records);
      return async () => {
        const response = await runtime.handler(produceEvent(topic, body, path, 'application/json'));
        const text = String(response.body);
        if (response.statusCode !== 200 || text.includes('"error_code":4') || text.includes('"error_code":5')) {
          throw new Error(`produce handler (v3) answered ${response.statusCode}: ${text.slice(0, 300)}`);
        }
      };
    },
    close: () => runtime.close(),
  };
}

/**
 * The local HTTP server, over a kept-alive loopback connection. The client is node:http
 * rather than global fetch: fetch's own cost per request is about as large as the server's
 * whole overhead (see {@link createHttpPoster}), and it is not the server's.
 */
export function httpSubject(baseUrl: string, topic: string, close: () => Promise<void>): ProduceSubject {
  const poster = createHttpPoster(`${baseUrl}/topics/${topic}`);
  return {
    name: SubjectName.LocalHttpServer,
    prepare: (records) => {
      const body = produceRequestBody(records);
      return async () => {
        const response = await poster.post(body, { 'content-type': CONTENT_TYPE });
        if (response.status !== 200) throw new Error(`local HTTP server answered ${response.status}: ${response.body}`);
      };
    },
    close: async () => {
      poster.close();
      await close();
    },
  };
}

/** How many rounds, and requests per round, at one request size. */
export interface ProduceSize {
  recordsPerRequest: number;
  requestsPerRound: number;
  rounds: number;
}

interface Round {
  recordsPerSec: number;
  latenciesMs: number[];
}

async function runRound(subject: ProduceSubject, recordsPerRequest: number, requests: number, label: string): Promise<Round> {
  // Records and each subject's input made of them are made before the clock starts, so only sending is timed.
  const prepared = Array.from({ length: requests }, (_, index) => subject.prepare(makeRecords(recordsPerRequest, `${label}-${index}`)));
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (const send of prepared) {
    const sent = performance.now();
    await send();
    latenciesMs.push(performance.now() - sent);
  }
  const elapsedMs = performance.now() - started;
  return { recordsPerSec: (recordsPerRequest * requests) / (elapsedMs / 1000), latenciesMs };
}

/**
 * Measures every subject at every size. Each round runs every subject once, in an order that
 * rotates from round to round, before the next round starts; so a burst of load from
 * elsewhere on the machine hits all subjects of a round alike, and the per-round quotients
 * against the baseline (the first subject) are what the ratios are taken from.
 */
export async function measureProduce(
  subjects: readonly ProduceSubject[],
  sizes: readonly ProduceSize[],
  onRound: (done: number, total: number) => void = () => undefined,
): Promise<ProduceFigure[]> {
  const baseline = subjects[0];
  if (baseline === undefined) return [];
  for (const subject of subjects) {
    // Warm-up: connections, metadata, JIT.
    for (let index = 0; index < 5; index++) await subject.prepare(makeRecords(10, `warmup-${index}`))();
  }
  const figures: ProduceFigure[] = [];
  const totalRounds = sizes.reduce((sum, size) => sum + size.rounds, 0);
  let roundsDone = 0;
  for (const { recordsPerRequest, requestsPerRound, rounds } of sizes) {
    const results = new Map<string, Round[]>(subjects.map((subject) => [subject.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const subject of rotation(subjects, round)) {
        results.get(subject.name)?.push(await runRound(subject, recordsPerRequest, requestsPerRound, `p${recordsPerRequest}-r${round}`));
      }
      roundsDone += 1;
      onRound(roundsDone, totalRounds);
    }
    const baselineRounds = results.get(baseline.name) ?? [];
    for (const subject of subjects) {
      const subjectRounds = results.get(subject.name) ?? [];
      const latenciesMs = subjectRounds.flatMap((r) => r.latenciesMs);
      figures.push({
        subject: subject.name,
        recordsPerRequest,
        requestsPerRound,
        rounds,
        recordsPerSec: median(subjectRounds.map((r) => r.recordsPerSec)),
        ...pairedRatios(
          subjectRounds.map((r) => r.recordsPerSec),
          baselineRounds.map((r) => r.recordsPerSec),
          subject === baseline,
        ),
        p50Ms: percentile(latenciesMs, 50),
        p99Ms: percentile(latenciesMs, 99),
      });
    }
  }
  return figures;
}
