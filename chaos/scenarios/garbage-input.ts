/**
 * Scenario 6, garbage input: thousands of generated malformed HTTP requests and malformed
 * consume events. Never a crash, never a 500, always the contract's error shape, and the
 * service keeps answering valid requests throughout. Records with forged caller headers are
 * never attributed to a caller, and, with the produce handler configured as in Lambda, no
 * request without a caller identity is served.
 */
import { drainAndAccount, drainBound } from '../lib/drain';
import { startSchemaRegistry } from '../../local/registry';
import { contractProblem, v3ProducedCount } from '../lib/contract-shape';
import { ensureTopics } from '../../local/kafka/admin';
import type { ChaosEnvironment } from '../lib/environment';
import { generateGarbageEvents, VICTIM_DIGEST, type VictimStamp } from '../lib/garbage-events';
import { generateGarbageRequests, rawRequest, type GarbageTarget } from '../lib/garbage-http';
import { REQUEST_ID_HEADER } from '../../local/http-server';
import { sendRaw, type RawResponse } from '../lib/http';
import { apiOnlyGarbage, noIdentityGarbage, toApiEvents } from '../lib/garbage-api-events';
import { kafkaEvent } from '../lib/kafka-events';
import { chaosMessage, countTopic, outsideKafka, scanTable } from '../lib/observe';
import { createPrng } from '../lib/prng';
import { runInOwnEnvironment, type ScenarioRecorder, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { stampCallerHeader } from '../../lib/caller-mac/header';
import { createCallerKeySource } from '../../lib/caller-mac/key-source';
import { createConsumeRuntime, type KafkaEvent } from '../../lib/consume/index';
import { createProduceRuntime } from '../../lib/produce/index';
import { AppError, InternalError } from '../../lib/errors';
import { silentLogger } from '../../lib/logger';
import type { AppConfig } from '../../lib/config';

/** How big the run is. */
export interface GarbageInputSize {
  requests: number;
  events: number;
  /** One valid request after every this many garbage ones. */
  probeEvery: number;
  /** Garbage requests in flight at once. */
  concurrency: number;
  /**
   * How long the consumer may go without progress while it brings the valid requests to the
   * sink (three times that in all): garbage that the API accepted (deep values, records too
   * big for an item) fails and is retried first.
   */
  drainTimeoutMs: number;
}

/** Sizes of `npm run chaos`. */
export const GARBAGE_INPUT_FULL: GarbageInputSize = { requests: 3_000, events: 1_000, probeEvery: 20, concurrency: 4, drainTimeoutMs: 300_000 };
/** Sizes of the version inside `npm test`. */
export const GARBAGE_INPUT_SHORT: GarbageInputSize = { requests: 300, events: 100, probeEvery: 20, concurrency: 4, drainTimeoutMs: 90_000 };

const MAX_EXAMPLES = 8;

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export function runGarbageInput(options: ScenarioOptions<GarbageInputSize>): Promise<ScenarioReport> {
  return runInOwnEnvironment('garbage-input', options, async (env, recorder) => {
    // The pipeline's schema registry is the scenario's own: npm start's runtime would reuse one that
    // another run left on the usual port, which can stop in the middle of this one (503s no garbage caused).
    const registry = await startSchemaRegistry({ port: 0, logger: options.logger });
    try {
      const v3 = await prepareV3(env);
      await httpGarbage(env, v3, options.size, options.seed ?? 8, recorder, registry.url);
      await apiEventGarbage(env, v3, options.size, options.seed ?? 8, recorder);
      await accountV3(env, v3, recorder);
      await eventGarbage(env, options.size, options.seed ?? 8, recorder);
    } finally {
      await registry.stop();
    }
  });
}

/** The v3 garbage's own topic and the cluster id, and how many records the answers reported produced on it. */
interface V3Garbage {
  clusterId: string;
  topic: string;
  reportedProduced: number;
}

async function prepareV3(env: ChaosEnvironment): Promise<V3Garbage> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const topic = `${env.settings.topic}-v3-garbage`;
  const kafka = outsideKafka(broker.brokers);
  await ensureTopics(kafka, [{ topic, numPartitions: env.settings.partitions }]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    return { clusterId: (await admin.describeCluster()).clusterId, topic, reportedProduced: 0 };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Nothing is written for a rejected request: the v3 garbage topic holds exactly the records
 * the answers reported produced (reports with error_code 200, batch successes), no more.
 */
async function accountV3(env: ChaosEnvironment, v3: V3Garbage, recorder: ScenarioRecorder): Promise<void> {
  const written = await countTopic(env.broker?.brokers ?? [], v3.topic);
  recorder.details.v3_reported_produced = v3.reportedProduced;
  recorder.details.v3_written = written;
  recorder.expect(written === v3.reportedProduced, `the v3 garbage topic holds the ${v3.reportedProduced} records answered as produced (it holds ${written})`);
}

async function httpGarbage(
  env: ChaosEnvironment,
  v3: V3Garbage,
  size: GarbageInputSize,
  seed: number,
  recorder: ScenarioRecorder,
  registryUrl: string,
): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const topic = env.settings.topic;
  const config = env.config();
  const pipeline = await env.startPipeline({ SCHEMA_REGISTRY_URL: registryUrl });
  const { hostname, port } = new URL(pipeline.http);
  const requests = generateGarbageRequests(createPrng(seed), garbageTarget(env, config, v3), size.requests);
  const problems: string[] = [];
  const problemRequestIds: string[] = [];
  const violationsByKind = new Map<string, number>();
  const statuses = new Map<number | string, number>();
  const acknowledged: string[] = [];
  let probesFailed = 0;
  let next = 0;
  const probe = async (n: number): Promise<void> => {
    const id = `${env.runId}-probe-${n}`;
    const body = Buffer.from(JSON.stringify({ records: [{ key: id, value: { id } }] }));
    recorder.counts.sent += 1;
    const response = await sendRaw(
      hostname,
      Number(port),
      rawRequest('POST', `/topics/${topic}`, [['Content-Type', 'application/vnd.kafka.json.v2+json']], body),
    );
    if (response?.status === 200) acknowledged.push(id);
    else probesFailed += 1;
  };
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next;
      next += 1;
      const request = requests[index];
      if (request === undefined) break;
      recorder.counts.sent += 1;
      const response = await sendRaw(hostname, Number(port), request.bytes);
      v3.reportedProduced += v3ProducedCount(response);
      const status = response?.status ?? 'none';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const problem = contractProblem(response, request.allowedStatuses);
      if (problem !== undefined) {
        recorder.bump('contract_violations');
        violationsByKind.set(request.kind, (violationsByKind.get(request.kind) ?? 0) + 1);
        const requestId = response?.headers[REQUEST_ID_HEADER];
        if (problems.length < MAX_EXAMPLES) problems.push(`#${index} ${request.kind}: ${problem}${requestId === undefined ? '' : ` (request ${requestId})`}`);
        if (requestId !== undefined) problemRequestIds.push(requestId);
      }
      if (index % size.probeEvery === size.probeEvery - 1) await probe(index);
    }
  };
  await Promise.all(Array.from({ length: size.concurrency }, worker));
  await probe(-1);
  recorder.details.http_statuses = [...statuses]
    .sort()
    .map(([status, count]) => `${status}:${count}`)
    .join(',');
  recorder.details.probes_failed = probesFailed;
  if (violationsByKind.size > 0) recorder.details.http_violations_by_kind = [...violationsByKind].map(([kind, count]) => `${kind}:${count}`).join(',');
  for (const problem of problems) recorder.broken.push(`HTTP ${problem}`);
  // The pipeline's own account of each answer outside the contract: its log lines under the request id.
  const log = pipeline.output().split('\n');
  for (const requestId of problemRequestIds.slice(0, MAX_EXAMPLES)) {
    for (const line of log.filter((entry) => entry.includes(requestId) && !entry.includes('"message":"produce request"')).slice(0, 3)) {
      recorder.broken.push(`  log of request ${requestId}: ${line.slice(0, 600)}`);
    }
  }
  recorder.expect(probesFailed === 0, `valid requests keep getting 200 between the garbage (${probesFailed} did not)`);
  recorder.expect(pipeline.alive, 'the pipeline process never crashes');
  recorder.counts.acknowledged = acknowledged.length;

  const result = await drainAndAccount(env, recorder, acknowledged, drainBound(size.drainTimeoutMs));
  // Garbage the API accepted but the sink cannot hold ends there, after its retries.
  recorder.counts.deadLettered = await countTopic(broker.brokers, env.settings.onFailureTopic);
  if (result.lost > 0) {
    // Why the consumer fell behind, in its own words.
    const warnings = pipeline
      .output()
      .split('\n')
      .filter((line) => /"level":"(warn|error)"/.test(line));
    recorder.details.consumer_warnings = warnings.length;
    const last = warnings.at(-1);
    if (last !== undefined) recorder.details.consumer_last_warning = JSON.stringify(last.slice(0, 400));
  }
}

/** What the generated requests aim at: the scenario's topics, partitions and cluster, and the produce limits of `config`. */
function garbageTarget(env: ChaosEnvironment, config: AppConfig, v3: V3Garbage): GarbageTarget {
  const { produce } = config;
  return {
    topic: env.settings.topic,
    partitions: env.settings.partitions,
    maxRequestBytes: produce.maxRequestBytes,
    maxRecordsPerRequest: produce.maxRecordsPerRequest,
    clusterId: v3.clusterId,
    v3Topic: v3.topic,
  };
}

/**
 * The same garbage, and garbage only an API event can carry, handed straight to the
 * produce handler in this process, as API Gateway would: it must never throw.
 */
async function apiEventGarbage(env: ChaosEnvironment, v3: V3Garbage, size: GarbageInputSize, seed: number, recorder: ScenarioRecorder): Promise<void> {
  const topic = env.settings.topic;
  const config = env.config();
  const prng = createPrng(seed + 2);
  const target = garbageTarget(env, config, v3);
  // Huge bodies are left to the HTTP part: API Gateway itself refuses payloads above its limit.
  const events = [
    ...toApiEvents(generateGarbageRequests(prng, target, size.requests, Number.MAX_SAFE_INTEGER)),
    ...apiOnlyGarbage(prng, topic, Math.ceil(size.requests / 10)),
  ];
  const runtime = createProduceRuntime(config, { logger: silentLogger });
  const problems: string[] = [];
  try {
    for (const [index, garbage] of events.entries()) {
      recorder.counts.sent += 1;
      let response: RawResponse | undefined;
      try {
        const result = await runtime.handler(garbage.event as unknown as APIGatewayProxyEventV2);
        const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
        const body = result.isBase64Encoded === true ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '', 'utf8');
        response = { status: result.statusCode ?? 200, headers, body };
        v3.reportedProduced += v3ProducedCount(response);
      } catch (error) {
        recorder.bump('api_event_violations');
        if (problems.length < MAX_EXAMPLES) problems.push(`#${index} ${garbage.kind}: handler threw ${error instanceof Error ? error.name : String(error)}`);
        continue;
      }
      const problem = contractProblem(response, garbage.allowedStatuses);
      if (problem !== undefined) {
        recorder.bump('api_event_violations');
        if (problems.length < MAX_EXAMPLES) problems.push(`#${index} ${garbage.kind}: ${problem}`);
      }
    }
  } finally {
    await runtime.close();
  }
  recorder.details.api_events = events.length;
  for (const text of problems) recorder.broken.push(`API event ${text}`);
  await lambdaModeGarbage(env, v3, size, seed, recorder);
}

/**
 * The same garbage handed to the produce handler configured as in Lambda, none of it with a
 * usable caller identity (no authorizer context, a JWT without `sub`, an IAM context without a
 * principal id): none may be served. Whatever reaches the service is refused with 401; garbage
 * refused before it (another route or method) keeps its own status; never a 2xx.
 */
async function lambdaModeGarbage(env: ChaosEnvironment, v3: V3Garbage, size: GarbageInputSize, seed: number, recorder: ScenarioRecorder): Promise<void> {
  const topic = env.settings.topic;
  const local = env.config();
  const config = env.config({
    AWS_LAMBDA_FUNCTION_NAME: 'chaos-produce',
    ALLOWED_TOPICS: topic,
    CALLER_KEY: '',
    CALLER_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:chaos-caller-keys',
    PRODUCE_RATE_LIMIT_PER_SEC: '0',
  });
  const prng = createPrng(seed + 3);
  const target = garbageTarget(env, config, v3);
  const events = [
    ...noIdentityGarbage(prng, topic, Math.max(20, Math.ceil(size.requests / 10))),
    ...toApiEvents(generateGarbageRequests(prng, target, Math.ceil(size.requests / 3), Number.MAX_SAFE_INTEGER)),
  ];
  // Locally there is no Secrets Manager: the keys are the ones this process would use, as a secret would hold them.
  const callerKeys = createCallerKeySource(local.callerKeys);
  const runtime = createProduceRuntime(config, { logger: silentLogger, callerKeys });
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  try {
    for (const [index, garbage] of events.entries()) {
      recorder.counts.sent += 1;
      let status: number;
      try {
        status = (await runtime.handler(garbage.event as unknown as APIGatewayProxyEventV2)).statusCode ?? 200;
      } catch (error) {
        recorder.bump('lambda_identity_violations');
        if (problems.length < MAX_EXAMPLES) problems.push(`#${index} ${garbage.kind}: handler threw ${error instanceof Error ? error.name : String(error)}`);
        continue;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const refusedEarlier = status === 400 || status === 404 || status === 405;
      if (status !== 401 && !(refusedEarlier && !garbage.kind.startsWith('identity:'))) {
        recorder.bump('lambda_identity_violations');
        if (problems.length < MAX_EXAMPLES) problems.push(`#${index} ${garbage.kind}: status ${status} for a request without an identity`);
      }
    }
  } finally {
    await runtime.close();
  }
  const served = [...statuses].filter(([status]) => status < 300).reduce((sum, [, count]) => sum + count, 0);
  recorder.details.lambda_no_identity = events.length;
  recorder.details.lambda_no_identity_statuses = [...statuses]
    .sort()
    .map(([status, count]) => `${status}:${count}`)
    .join(',');
  recorder.expect(served === 0, `in Lambda, no request without a caller identity is served (${served} were)`);
  for (const text of problems) recorder.broken.push(`Lambda-mode event ${text}`);
}

function isBatchResponse(value: unknown): value is { batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[] } {
  if (typeof value !== 'object' || value === null) return false;
  const failures = (value as { batchItemFailures?: unknown }).batchItemFailures;
  return (
    Array.isArray(failures) &&
    failures.every((failure: unknown) => {
      const id = (failure as { itemIdentifier?: { partition?: unknown; offset?: unknown } } | null)?.itemIdentifier;
      return typeof id?.partition === 'string' && typeof id.offset === 'number';
    })
  );
}

async function eventGarbage(env: ChaosEnvironment, size: GarbageInputSize, seed: number, recorder: ScenarioRecorder): Promise<void> {
  const topic = `${env.runId}-garbage-events`;
  const config = env.config();
  // The keys the consumer verifies with, so that the generator can copy a victim's valid header onto other records.
  const ring = await createCallerKeySource(config.callerKeys).keys();
  const stamp: VictimStamp = (record) =>
    stampCallerHeader(ring, VICTIM_DIGEST, { topic: record.topic, messageId: Buffer.from(record.messageId), key: null, value: Buffer.from(record.value) });
  const events = generateGarbageEvents(createPrng(seed + 1), topic, size.events, env.runId, stamp);
  const forgedIds = new Set(events.flatMap((garbage) => (garbage.forged === undefined ? [] : [garbage.forged])));
  const runtime = createConsumeRuntime(config, { logger: silentLogger });
  const problems: string[] = [];
  const goodIds: string[] = [];
  const outcomes = new Map<string, number>();
  const problem = (text: string): void => {
    recorder.bump('event_violations');
    if (problems.length < MAX_EXAMPLES) problems.push(text);
  };
  try {
    for (const [index, garbage] of events.entries()) {
      recorder.counts.sent += 1;
      let response: unknown;
      try {
        response = await runtime.handler(garbage.event as KafkaEvent, { awsRequestId: `garbage-${index}` });
      } catch (error) {
        const typed = error instanceof AppError && !(error instanceof InternalError);
        outcomes.set(
          typed ? `rejected-${(error as AppError).code}` : 'crashed',
          (outcomes.get(typed ? `rejected-${(error as AppError).code}` : 'crashed') ?? 0) + 1,
        );
        if (!typed) problem(`#${index} ${garbage.kind}: handler threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        else if (garbage.good !== undefined)
          problem(`#${index} ${garbage.kind}: a well-shaped event was rejected whole (${(error as AppError).code}), blocking its good records`);
        continue;
      }
      if (!isBatchResponse(response)) {
        outcomes.set('bad-response', (outcomes.get('bad-response') ?? 0) + 1);
        problem(`#${index} ${garbage.kind}: response not a batch response: ${JSON.stringify(response)?.slice(0, 100)}`);
        continue;
      }
      outcomes.set('answered', (outcomes.get('answered') ?? 0) + 1);
      const failed = new Set(response.batchItemFailures.map((failure) => `${failure.itemIdentifier.partition}@${failure.itemIdentifier.offset}`));
      if (garbage.mustFail !== undefined && !failed.has(`${garbage.mustFail.partition}@${garbage.mustFail.offset}`)) {
        problem(`#${index} ${garbage.kind}: a record that cannot be processed was not reported failed`);
      }
      if (garbage.good !== undefined) {
        if (failed.has(`${garbage.good.partition}@${garbage.good.offset}`)) problem(`#${index} ${garbage.kind}: a good record in another partition failed`);
        else goodIds.push(garbage.good.id);
      }
    }
    // Afterwards, a valid batch is processed in full.
    const finalIds = Array.from({ length: 30 }, (_, n) => `${env.runId}-after-garbage-${n}`);
    const finalEvent = kafkaEvent(finalIds.map((id, n) => ({ topic, partition: n % 3, offset: 50_000 + n, value: JSON.stringify({ id }) })));
    const finalResponse = await runtime.handler(finalEvent as unknown as KafkaEvent, { awsRequestId: 'after-garbage' });
    recorder.expect(finalResponse.batchItemFailures.length === 0, 'a valid batch after the garbage events succeeds in full');
    goodIds.push(...finalIds);
  } finally {
    await runtime.close();
  }
  recorder.details.event_outcomes = [...outcomes].map(([outcome, count]) => `${outcome}:${count}`).join(',');
  for (const text of problems) recorder.broken.push(`event ${text}`);
  const items = await scanTable(env.dynamo, env.tables.messages);
  const have = new Set(items.map((item) => chaosMessage(item.value)?.id));
  const missing = goodIds.filter((id) => !have.has(id));
  // Records with a forged caller header are applied as records without a caller: never under one.
  const forgedItems = items.filter((item) => forgedIds.has(chaosMessage(item.value)?.id ?? ''));
  const attributed = forgedItems.filter((item) => item.callerId !== undefined || String(item.messageId).startsWith('caller:'));
  recorder.details.forged_caller_records = forgedIds.size;
  recorder.details.forged_caller_attributed = attributed.length;
  recorder.expect(
    forgedIds.size > 0 && forgedItems.length === forgedIds.size,
    `every record with a forged caller header is applied, without a caller (${forgedItems.length} of ${forgedIds.size})`,
  );
  recorder.expect(attributed.length === 0, `no record with a forged caller header is attributed to a caller (${attributed.length} were)`);
  recorder.details.good_event_records = goodIds.length;
  recorder.expect(missing.length === 0, `every good record next to garbage reaches the sink (${missing.length} missing)`);
  recorder.counts.lost += missing.length;
}
