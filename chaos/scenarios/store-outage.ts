/**
 * Scenario 5, store outage: the DynamoDB store is stopped for a while. The consumer
 * reports failures rather than skipping records, produce with an Idempotency-Key answers
 * 503, and both recover by themselves when the store returns.
 */
import { drainAndAccount, drainBound } from '../lib/drain';
import type { ChaosEnvironment } from '../lib/environment';
import { produceUntilAcknowledged } from '../lib/http';
import { kafkaEvent } from '../lib/kafka-events';
import { countTopic } from '../lib/observe';
import { runInOwnEnvironment, type ScenarioRecorder, waitUntil, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';
import { createConsumeRuntime, type KafkaEvent } from '../../lib/consume/index';
import { silentLogger } from '../../lib/logger';

/** How big the run is. */
export interface StoreOutageSize {
  /** Keyed requests before, during and after the outage (one record each). */
  requestsPerPhase: number;
  /** Requests without a key during the outage: Kafka is up, so they may be acknowledged. */
  unkeyedDuringOutage: number;
  /** How long the emulator may take to fail an invocation during the outage, and the drain to go without progress (three times that in all). */
  drainTimeoutMs: number;
  /** The store stays down until the emulator logged a failed invocation, and this long after it. */
  minOutageMs: number;
  /** The consume function's timeout (`npm start -- --function-timeout`); undefined keeps 60 s. */
  functionTimeoutSeconds?: number;
}

/** Sizes of `npm run chaos`. */
export const STORE_OUTAGE_FULL: StoreOutageSize = { requestsPerPhase: 200, unkeyedDuringOutage: 200, drainTimeoutMs: 120_000, minOutageMs: 20_000 };
/** Sizes of the version inside `npm test`. */
export const STORE_OUTAGE_SHORT: StoreOutageSize = {
  requestsPerPhase: 15,
  unkeyedDuringOutage: 15,
  drainTimeoutMs: 40_000,
  minOutageMs: 15_000,
  functionTimeoutSeconds: 10,
};

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export function runStoreOutage(options: ScenarioOptions<StoreOutageSize>): Promise<ScenarioReport> {
  return runInOwnEnvironment('store-outage', options, (env, recorder) => body(env, options.size, recorder));
}

async function postOnce(baseUrl: string, topic: string, body: string, idempotencyKey?: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${baseUrl}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json', ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

async function body(env: ChaosEnvironment, size: StoreOutageSize, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const topic = env.settings.topic;
  const pipeline = await env.startPipeline({}, size.functionTimeoutSeconds === undefined ? [] : ['--function-timeout', String(size.functionTimeoutSeconds)]);
  const acknowledged: string[] = [];
  const recordBody = (id: string): string => JSON.stringify({ records: [{ key: id, value: { id } }] });
  const send = async (id: string, key: string | undefined, deadlineMs: number): Promise<boolean> => {
    recorder.counts.sent += 1;
    const outcome = await produceUntilAcknowledged(pipeline.http, topic, recordBody(id), {
      ...(key === undefined ? {} : { idempotencyKey: key }),
      deadlineMs,
      retryDelayMs: 200,
    });
    recorder.counts.retries += outcome.attempts - 1;
    if (outcome.acknowledged) acknowledged.push(id);
    return outcome.acknowledged;
  };

  // Before: the store is up.
  for (let i = 0; i < size.requestsPerPhase; i += 1) await send(`${env.runId}-before-${i}`, `${env.runId}-before-${i}`, 10_000);

  await env.store.stop();
  recorder.bump('store_outages');
  const outageStartedMs = Date.now();

  // Produce with a key needs the store: 503, and the contract's error shape.
  const keyedStatuses: number[] = [];
  for (let i = 0; i < size.requestsPerPhase; i += 1) {
    recorder.counts.sent += 1;
    const answer = await postOnce(pipeline.http, topic, recordBody(`${env.runId}-during-${i}`), `${env.runId}-during-${i}`).catch(() => ({
      status: 0,
      json: undefined,
    }));
    keyedStatuses.push(answer.status);
    if (answer.status === 200) acknowledged.push(`${env.runId}-during-${i}`);
  }
  recorder.details.keyed_during_outage = histogram(keyedStatuses);
  recorder.expect(
    keyedStatuses.every((status) => status === 503),
    'produce with an Idempotency-Key answers 503 while the store is down',
  );

  // Produce without a key does not need the store; what Kafka acknowledged must arrive later.
  for (let i = 0; i < size.unkeyedDuringOutage; i += 1) {
    recorder.counts.sent += 1;
    const answer = await postOnce(pipeline.http, topic, recordBody(`${env.runId}-unkeyed-${i}`)).catch(() => ({ status: 0, json: undefined }));
    recorder.bump(`unkeyed_during_outage_${answer.status}`);
    if (answer.status === 200) acknowledged.push(`${env.runId}-unkeyed-${i}`);
  }

  // The consumer, given records while the store is down, must report them failed, not skip them.
  const runtime = createConsumeRuntime(env.config(), { logger: silentLogger });
  try {
    const event = kafkaEvent(
      [0, 1, 2].map((partition) => ({ topic, partition, offset: 900_000 + partition, value: JSON.stringify({ id: `${env.runId}-probe-${partition}` }) })),
    );
    let reported: boolean;
    try {
      const response = await runtime.handler(event as unknown as KafkaEvent);
      const failed = new Set(response.batchItemFailures.map((failure) => `${failure.itemIdentifier.partition}@${failure.itemIdentifier.offset}`));
      reported = [0, 1, 2].every((partition) => failed.has(`${topic}-${partition}@${900_000 + partition}`));
    } catch (error) {
      // Failing the whole invocation also makes the event source retry every record.
      reported = (error as { retriable?: unknown }).retriable === true;
    }
    recorder.expect(reported, 'the consumer reports every record failed (or the invocation failed retriably) while the store is down');
  } finally {
    await runtime.close();
  }
  // The consumer must have met the outage too: its failed invocations are in the emulator's log.
  const failedInvocations = (): number =>
    pipeline
      .output()
      .split('\n')
      .filter((line) => line.includes('batch failed, will retry')).length;
  const seen = await waitUntil('the emulator to log a failed invocation', () => failedInvocations() > 0, size.drainTimeoutMs, 100)
    .then(() => true)
    .catch(() => false);
  // Counted from the consumer's first failure, so the outage outlasts it by the same margin on every run.
  const firstFailureMs = Date.now();
  await waitUntil('the outage to last', () => Date.now() - firstFailureMs >= size.minOutageMs, size.minOutageMs + 1_000, 100);
  recorder.expect(seen, 'the consumer reports failures (the emulator retries) while the store is down');
  recorder.details.consumer_retries_during_outage = failedInvocations();
  recorder.details.outage_ms = Date.now() - outageStartedMs;

  await env.store.start();

  // After: the same keys that got 503 are retried and succeed without restarting anything.
  for (let i = 0; i < size.requestsPerPhase; i += 1) {
    const id = `${env.runId}-during-${i}`;
    if (acknowledged.includes(id)) continue;
    const outcome = await produceUntilAcknowledged(pipeline.http, topic, recordBody(id), { idempotencyKey: id, deadlineMs: 30_000, retryDelayMs: 200 });
    recorder.counts.retries += outcome.attempts;
    if (outcome.acknowledged) acknowledged.push(id);
  }
  for (let i = 0; i < size.requestsPerPhase; i += 1) await send(`${env.runId}-after-${i}`, `${env.runId}-after-${i}`, 30_000);
  recorder.counts.acknowledged = acknowledged.length;

  await drainAndAccount(env, recorder, acknowledged, drainBound(size.drainTimeoutMs));
  recorder.counts.deadLettered = await countTopic(broker.brokers, env.settings.onFailureTopic);
  recorder.expect(recorder.counts.deadLettered === 0, `a store outage sends nothing to the dead-letter topic (${recorder.counts.deadLettered} records were)`);
  const keyedAcknowledged = acknowledged.filter((id) => !id.includes('-unkeyed-')).length;
  recorder.expect(keyedAcknowledged === 3 * size.requestsPerPhase, 'every keyed request is acknowledged once the store is back');
  recorder.expect(pipeline.alive, 'the pipeline keeps running through the outage');
}

function histogram(statuses: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status}:${count}`).join(',');
}
