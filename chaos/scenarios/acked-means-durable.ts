/**
 * Scenario 1, acked means durable: clients send messages over HTTP with Idempotency-Keys
 * and retry until they get a 200, while the broker is stopped and restarted twice.
 * Afterwards every acknowledged message is on the topic and in the sink exactly once.
 * With `--secure` the pipeline connects over the broker's SASL_SSL listener (SCRAM-SHA-512).
 */
import { account } from '../lib/accounting';
import { createEnvironment, type ChaosEnvironment } from '../lib/environment';
import { drainBound, drainEnd, drainFailure, lookAtPipeline, waitForDrain } from '../lib/drain';
import { explainOutcome } from '../lib/explain';
import { produceUntilAcknowledged } from '../lib/http';
import { chaosMessage, readTopic } from '../lib/observe';
import { guarded, ScenarioRecorder, waitUntil, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';

/** How big the run is. */
export interface AckedMeansDurableSize {
  messages: number;
  recordsPerRequest: number;
  clients: number;
  /** Distinct record keys. */
  keys: number;
  /** How long a client keeps retrying one request before it gives up. */
  requestDeadlineMs: number;
  /** How long the consumer may go without progress while it drains the topic into the sink (three times that in all). */
  drainTimeoutMs: number;
}

/** Sizes of `npm run chaos`. */
export const ACKED_MEANS_DURABLE_FULL: AckedMeansDurableSize = {
  messages: 5_000,
  recordsPerRequest: 5,
  clients: 8,
  keys: 50,
  requestDeadlineMs: 180_000,
  drainTimeoutMs: 180_000,
};
/** Sizes of the version inside `npm test`. */
export const ACKED_MEANS_DURABLE_SHORT: AckedMeansDurableSize = {
  messages: 200,
  recordsPerRequest: 5,
  clients: 4,
  keys: 10,
  requestDeadlineMs: 45_000,
  drainTimeoutMs: 30_000,
};

/** Statuses a broker outage may legitimately cause: in progress elsewhere, unavailable, timed out, or no connection. */
const OUTAGE_STATUSES = new Set(['200', '409', '503', '504', 'network']);

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export async function runAckedMeansDurable(options: ScenarioOptions<AckedMeansDurableSize>): Promise<ScenarioReport> {
  const { size, logger } = options;
  const recorder = new ScenarioRecorder('acked-means-durable');
  options.watch?.(recorder);
  let env: ChaosEnvironment | undefined;
  return guarded(recorder, async () => {
    env = await createEnvironment({ logger, secure: options.secure === true });
    if (options.secure === true) recorder.details.listener = 'SASL_SSL (SCRAM-SHA-512)';
    await body(env, size, recorder);
  }).finally(() => env?.close());
}

async function body(env: ChaosEnvironment, size: AckedMeansDurableSize, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const pipeline = await env.startPipeline();
  const topic = env.settings.topic;
  const requests = Math.ceil(size.messages / size.recordsPerRequest);
  const acknowledged: string[] = [];
  const statuses: Record<string, number> = {};
  let failedAttempts = 0;
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < requests) {
      const request = next;
      next += 1;
      const ids: string[] = [];
      const records = [];
      for (let i = 0; i < size.recordsPerRequest; i += 1) {
        const n = request * size.recordsPerRequest + i;
        if (n >= size.messages) break;
        const id = `${env.runId}-${n}`;
        const key = `${env.runId}-key-${n % size.keys}`;
        ids.push(id);
        records.push({ key, value: { id, key, seq: Math.floor(n / size.keys) } });
      }
      recorder.counts.sent += ids.length;
      const outcome = await produceUntilAcknowledged(pipeline.http, topic, JSON.stringify({ records }), {
        idempotencyKey: `${env.runId}-request-${request}`,
        deadlineMs: size.requestDeadlineMs,
        retryDelayMs: 100,
        onAttempt: (status) => {
          if (status !== '200') failedAttempts += 1;
        },
      });
      recorder.counts.retries += outcome.attempts - 1;
      for (const [status, count] of Object.entries(outcome.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
      if (outcome.acknowledged) acknowledged.push(...ids);
    }
  };

  // Two outages, each starting once a share of the messages is acknowledged and lasting
  // until the clients have felt it (failed attempts), so the restart is never a no-op.
  const faults = async (): Promise<void> => {
    for (const share of [0.25, 0.6]) {
      await waitUntil(`${share * 100}% acknowledged`, () => acknowledged.length >= size.messages * share || next >= requests, size.requestDeadlineMs, 20);
      const failedBefore = failedAttempts;
      const downMs = Date.now();
      await broker.stop();
      recorder.bump('broker_stop_ms', Date.now() - downMs);
      recorder.bump('broker_restarts');
      await waitUntil('clients to see the outage', () => failedAttempts > failedBefore || next >= requests, 30_000, 20).catch(() => undefined);
      await broker.start();
      recorder.bump('broker_down_ms', Date.now() - downMs);
      const recoveringMs = Date.now();
      const acknowledgedBefore = acknowledged.length;
      await waitUntil(
        'an acknowledgement after the restart',
        () => acknowledged.length > acknowledgedBefore || next >= requests,
        size.requestDeadlineMs,
        20,
      ).catch(() => undefined);
      recorder.bump('recovery_ms', Date.now() - recoveringMs);
    }
  };
  const startedMs = Date.now();
  await Promise.all([...Array.from({ length: size.clients }, client), faults()]);
  const producedMs = Date.now();
  recorder.details.produce_ms = producedMs - startedMs;
  recorder.counts.acknowledged = acknowledged.length;
  recorder.details.statuses = Object.entries(statuses)
    .map(([status, count]) => `${status}:${count}`)
    .join(',');
  recorder.expect(pipeline.alive, 'the pipeline process survives broker restarts');
  const unexpected = Object.keys(statuses).filter((status) => !OUTAGE_STATUSES.has(status));
  recorder.expect(unexpected.length === 0, `a broker outage answers only 409/503/504, saw ${unexpected.join(',')}`);

  const drain = await waitForDrain(lookAtPipeline(env, acknowledged), drainBound(size.drainTimeoutMs), 500);
  recorder.details.drain_ms = Date.now() - producedMs;
  const failure = drainFailure(drain);
  if (failure !== undefined) recorder.expect(false, failure);
  const topicRecords = await readTopic(broker.brokers, topic);
  const topicIds = topicRecords.map((record) => chaosMessage(record.value)?.id).filter((id): id is string => id !== undefined);
  const result = account({ acknowledged, onTopic: topicIds, sink: await env.sinkItems() });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  recorder.details.topic_copies = result.topicCopies;
  recorder.details.not_acknowledged = size.messages - acknowledged.length;
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  recorder.expect(acknowledged.length === size.messages, 'every message is eventually acknowledged when the client retries');
  await explainOutcome(env, recorder, result, { topicRecords, drain: drainEnd(drain) });
}
