/**
 * Produce measurements: the same records sent, one request at a time, by a direct kafkajs
 * producer with acks=-1 (the limit), through the produce handler (the Lambda code path), and
 * through the local HTTP server. Each request's latency is recorded; throughput is records
 * acknowledged per second of wall time.
 */
import { Kafka, logLevel, type Message } from 'kafkajs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BenchRecord } from './records';
import { makeRecords, produceRequestBody, v3RecordsRequestBody } from './records';
import { median, pairedRatios, percentile, rotation } from './stats';
import type { ProduceRuntime } from '../lib/produce';
import { SubjectName } from './subject-names';
import { createHttpPoster } from './http-client';
import { stampCallerHeader } from '../lib/caller-mac/header';
import type { CallerKeyRing } from '../lib/caller-mac/key-ring';
import { CALLER_HEADER, MESSAGE_ID_HEADER } from '../lib/headers';
import { ANONYMOUS_CALLER } from '../lib/produce/caller';

/** Reads an answer; throws when any record of its request was not acknowledged. */
export type AnswerCheck = () => void;

/**
 * One request, its input already in the subject's own shape: sends, and resolves once it is
 * answered with the check of that answer (none when resolving says all was acknowledged). A
 * round runs the checks once its clock has stopped: reading an answer is the client's work, not
 * the subject's, and a v3 answer is a report per record to read.
 */
export type PreparedRequest = () => Promise<AnswerCheck | undefined>;

/** Sends a prepared request and checks its answer at once, where nothing is timed (warm-up, probes). */
export async function sendChecked(request: PreparedRequest): Promise<void> {
  (await request())?.();
}

/** Five small requests before a subject is measured: connections, metadata, JIT. */
async function warmUp(subject: ProduceSubject): Promise<void> {
  for (let index = 0; index < 5; index++) await sendChecked(subject.prepare(makeRecords(10, `warmup-${index}`)));
}

/** Something that produces a list of records and resolves once all are acknowledged. */
export interface ProduceSubject {
  name: string;
  /**
   * Puts `records` into the shape the subject takes (kafkajs messages, a request body) before
   * the clock starts, as the records themselves are made before it: building a caller's input
   * is not the subject's cost.
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

/**
 * The bare send of what the produce handler writes: each record's key, value, `message-id` and
 * caller header (`x-caller-id`, stamped for the anonymous caller under `ring`, the key ring of
 * the handler's configuration), byte for byte the messages the handler puts on the topic, by
 * one kafkajs producer with acks=-1. The headers are stamped before the clock starts, so the
 * handler's own work (reading the body, stamping, answering) is all that separates the two.
 */
export async function kafkajsSubject(brokers: string[], topic: string, ring: CallerKeyRing): Promise<ProduceSubject> {
  return kafkajsProducerSubject(SubjectName.KafkajsProducer, brokers, (records) => handlerMessages(records, topic, ring), topic);
}

/**
 * The baseline of earlier runs: the same records with their `message-id` header only, about
 * 125 bytes a record fewer than the handler writes (the caller header the contract requires).
 */
export async function kafkajsMessageIdOnlySubject(brokers: string[], topic: string): Promise<ProduceSubject> {
  return kafkajsProducerSubject(SubjectName.KafkajsMessageIdOnly, brokers, messageIdOnlyMessages, topic);
}

async function kafkajsProducerSubject(
  name: SubjectName,
  brokers: string[],
  messagesOf: (records: readonly BenchRecord[]) => Message[],
  topic: string,
): Promise<ProduceSubject> {
  const producer = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  return {
    name,
    prepare: (records) => {
      const messages = messagesOf(records);
      return async () => {
        // kafkajs rejects unless every message was acknowledged.
        await producer.send({ topic, acks: -1, messages });
        return undefined;
      };
    },
    close: () => producer.disconnect(),
  };
}

/** The records as kafkajs messages with their `message-id` header only. */
export function messageIdOnlyMessages(records: readonly BenchRecord[]): Message[] {
  return records.map((record) => ({ key: record.key, value: record.valueJson, headers: { [MESSAGE_ID_HEADER]: record.messageId } }));
}

/**
 * The records as kafkajs messages, as the produce handler writes them for the anonymous caller
 * to `topic` in the json format: key and value as their JSON text, the `message-id` header, then
 * the caller header with its MAC.
 */
export function handlerMessages(records: readonly BenchRecord[], topic: string, ring: CallerKeyRing): Message[] {
  return records.map((record) => {
    // The json format keeps a key as its JSON text: a string key arrives with its quotes.
    const key = Buffer.from(JSON.stringify(record.key));
    const value = Buffer.from(record.valueJson);
    const messageId = Buffer.from(record.messageId);
    const caller = Buffer.from(stampCallerHeader(ring, ANONYMOUS_CALLER.digest, { topic, messageId, key, value }), 'latin1');
    return { key, value, headers: { [MESSAGE_ID_HEADER]: messageId, [CALLER_HEADER]: caller } };
  });
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
        return () => {
          if (response.statusCode !== 200) throw new Error(`produce handler answered ${response.statusCode}: ${response.body}`);
        };
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
        return () => {
          const text = String(response.body);
          if (response.statusCode !== 200 || text.includes('"error_code":4') || text.includes('"error_code":5')) {
            throw new Error(`produce handler (v3) answered ${response.statusCode}: ${text.slice(0, 300)}`);
          }
        };
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
      // The body's bytes, as a client would have them before sending: encoding them is not the server's cost.
      const body = Buffer.from(produceRequestBody(records));
      return async () => {
        const response = await poster.post(body, { 'content-type': CONTENT_TYPE });
        return () => {
          if (response.status !== 200) throw new Error(`local HTTP server answered ${response.status}: ${response.body}`);
        };
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
  const checks: (AnswerCheck | undefined)[] = [];
  const started = performance.now();
  for (const send of prepared) {
    const sent = performance.now();
    checks.push(await send());
    latenciesMs.push(performance.now() - sent);
  }
  const elapsedMs = performance.now() - started;
  for (const check of checks) check?.();
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
  for (const subject of subjects) await warmUp(subject);
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

/** Two subjects measured taking turns request by request (see {@link measureTurns}). */
export interface TurnsFigure {
  subject: string;
  reference: string;
  recordsPerRequest: number;
  requestsPerRound: number;
  rounds: number;
  /** Median over rounds of the subject's throughput over the reference's in the round. */
  ratio: number;
  /** The per-round quotients the median is taken from, in round order. */
  roundRatios: number[];
}

/**
 * Measures `subject` against `reference` taking turns request by request: each round sends
 * `requestsPerRound` requests of each, one of each in turn (which goes first alternating from
 * pair to pair and round to round), and its quotient is the reference's time over the
 * subject's, the same records/request for both. Two subjects in one process share its
 * garbage collections and the broker's pauses: in rounds of one subject after the other, a
 * pause falls in one subject's block or the other's, and the per-round quotients spread about
 * twice as wide (v3 against v2 here: a standard deviation of 0.2 to 0.25 against about 0.1).
 */
export async function measureTurns(subject: ProduceSubject, reference: ProduceSubject, size: ProduceSize): Promise<TurnsFigure> {
  const { recordsPerRequest, requestsPerRound, rounds } = size;
  for (const each of [subject, reference]) await warmUp(each);
  const roundRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const prepare = (each: ProduceSubject, who: string) =>
      Array.from({ length: requestsPerRound }, (_, index) => each.prepare(makeRecords(recordsPerRequest, `turns-${who}-r${round}-${index}`)));
    const ofSubject = prepare(subject, 's');
    const ofReference = prepare(reference, 'r');
    const elapsedMs = { subject: 0, reference: 0 };
    const checks: (AnswerCheck | undefined)[] = [];
    for (let index = 0; index < requestsPerRound; index++) {
      const turns = (index + round) % 2 === 0 ? (['subject', 'reference'] as const) : (['reference', 'subject'] as const);
      for (const turn of turns) {
        const send = (turn === 'subject' ? ofSubject : ofReference)[index] as PreparedRequest;
        const started = performance.now();
        checks.push(await send());
        elapsedMs[turn] += performance.now() - started;
      }
    }
    for (const check of checks) check?.();
    roundRatios.push(elapsedMs.reference / elapsedMs.subject);
  }
  return { subject: subject.name, reference: reference.name, recordsPerRequest, requestsPerRound, rounds, ratio: median(roundRatios), roundRatios };
}
