/**
 * Scenario 8, schema registry restarts: Avro records flow through the pipeline while the
 * schema registry is stopped and started again, several times. While it is down, produce
 * with a schema the function already knows goes on, produce with a new schema answers 503,
 * and framed records with a schema id the consumer has not met yet (written straight to the
 * topic) are retried, not dead-lettered. The pipeline reaches the registry through a gate on
 * a fixed port: a restart closes the gate, stops the JVM, starts it again, puts its schemas
 * back in the order they were registered (a real registry keeps them in its own storage;
 * Apicurio's in-memory one here does not, and an empty registry must not be seen), and opens
 * the gate, so ids keep naming the same schemas. At the end every acknowledged record is in
 * the sink exactly once: lost=0 duplicated=0.
 */
import { Kafka, logLevel } from 'kafkajs';
import { parseJsonExact } from '../../lib/json-numbers';
import { ConfluentSchemaRegistry } from '../../lib/schema/registry-client';
import { encodeWith, Schemas } from '../../lib/schema/schemas';
import { freePort } from '../../local/ports';
import { CCOMPAT_PATH, startSchemaRegistry, type SchemaRegistryServer } from '../../local/registry';
import { startTcpGate, type TcpGate } from '../lib/tcp-gate';
import { account } from '../lib/accounting';
import { drainFailure, lookAtPipeline, waitForDrain, drainBound } from '../lib/drain';
import { createEnvironment, type ChaosEnvironment } from '../lib/environment';
import { produceUntilAcknowledged } from '../lib/http';
import { readTopic } from '../lib/observe';
import { countTopic } from '../lib/observe';
import type { ScenarioReport } from '../lib/report';
import { guarded, ScenarioRecorder, type ScenarioOptions } from '../lib/scenario';

/** How big the run is. */
export interface SchemaRegistryRestartSize {
  /** Registry restarts. */
  restarts: number;
  /** Avro requests (one record each) per phase: before, during each outage, after. */
  requestsPerPhase: number;
  /** Records framed with a schema the consumer has not met, written straight to the topic during each outage. */
  framedPerOutage: number;
  /** How long the registry stays down. */
  outageMs: number;
  drainTimeoutMs: number;
  /**
   * The consume function's timeout (`npm start -- --function-timeout`); undefined keeps the
   * deployed 60 s. An invocation waits out an unreachable registry for most of it, and the
   * event source's retries multiply that: an outage longer than (retries + 1) x the wait
   * dead-letters records, as it would in Lambda.
   */
  functionTimeoutSeconds?: number;
}

/** Sizes of `npm run chaos`. */
export const SCHEMA_REGISTRY_RESTART_FULL: SchemaRegistryRestartSize = {
  restarts: 3,
  requestsPerPhase: 60,
  framedPerOutage: 20,
  outageMs: 8_000,
  drainTimeoutMs: 90_000,
};
/** Sizes of a short run. */
export const SCHEMA_REGISTRY_RESTART_SHORT: SchemaRegistryRestartSize = {
  restarts: 1,
  requestsPerPhase: 10,
  framedPerOutage: 5,
  outageMs: 4_000,
  drainTimeoutMs: 40_000,
  functionTimeoutSeconds: 10,
};

const AVRO = 'application/vnd.kafka.avro.v2+json';
const valueSchema = (name: string): string =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'chaos',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'long' },
    ],
  });

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export async function runSchemaRegistryRestart(options: ScenarioOptions<SchemaRegistryRestartSize>): Promise<ScenarioReport> {
  const recorder = new ScenarioRecorder('schema-registry-restart');
  options.watch?.(recorder);
  let env: ChaosEnvironment | undefined;
  let registry: SchemaRegistryServer | undefined;
  let gate: TcpGate | undefined;
  return guarded(recorder, async () => {
    env = await createEnvironment({ logger: options.logger });
    const port = await freePort();
    registry = await startSchemaRegistry({ port, logger: options.logger });
    gate = await startTcpGate({ host: '127.0.0.1', port });
    const gated = gate;
    await body(env, options.size, recorder, {
      url: `http://127.0.0.1:${gated.port}${CCOMPAT_PATH}`,
      directUrl: registry.url,
      restart: async () => {
        await gated.close();
        await registry?.stop();
        registry = undefined;
        return async (restore) => {
          registry = await startSchemaRegistry({ port, logger: options.logger });
          await restore();
          await gated.open();
        };
      },
    });
  }).finally(async () => {
    await env?.close();
    await gate?.close();
    await registry?.stop();
  });
}

interface RegistryControl {
  /** What the pipeline is given: the gate's address. */
  url: string;
  /** The registry itself, behind the gate. */
  directUrl: string;
  /** Closes the gate and stops the registry; the function returned starts it, runs `restore`, and opens the gate. */
  restart(): Promise<(restore: () => Promise<void>) => Promise<void>>;
}

async function register(url: string, subject: string, schema: string): Promise<number> {
  const response = await fetch(`${url}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  });
  const answer = (await response.json()) as { id?: number };
  if (typeof answer.id !== 'number') throw new Error(`registering under ${subject} failed: ${JSON.stringify(answer)}`);
  return answer.id;
}

async function body(env: ChaosEnvironment, size: SchemaRegistryRestartSize, recorder: ScenarioRecorder, registry: RegistryControl): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const topic = env.settings.topic;
  const subject = `${topic}-value`;
  // Registered in this order, and put back in this order after each restart.
  const schemas = [valueSchema('Before'), ...Array.from({ length: size.restarts }, (_, i) => valueSchema(`Late${i}`))];
  const ids: number[] = [];
  for (const schema of schemas) ids.push(await register(registry.directUrl, subject, schema));
  const pipeline = await env.startPipeline(
    { SCHEMA_REGISTRY_URL: registry.url },
    size.functionTimeoutSeconds === undefined ? [] : ['--function-timeout', String(size.functionTimeoutSeconds)],
  );
  recorder.details.function_timeout_s = size.functionTimeoutSeconds ?? 60;
  const acknowledged: string[] = [];
  const send = async (id: string, n: number, deadlineMs: number): Promise<void> => {
    recorder.counts.sent += 1;
    const requestBody = JSON.stringify({ value_schema_id: ids[0], records: [{ value: { id, n } }] });
    const outcome = await produceUntilAcknowledged(pipeline.http, topic, requestBody, { contentType: AVRO, deadlineMs, retryDelayMs: 200 });
    recorder.counts.retries += outcome.attempts - 1;
    if (outcome.acknowledged) acknowledged.push(id);
  };
  const framer = new Schemas(new ConfluentSchemaRegistry({ url: registry.url, timeoutMs: 2_000 }));
  const producer = new Kafka({ clientId: 'chaos-framed', brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    for (let i = 0; i < size.requestsPerPhase; i += 1) await send(`${env.runId}-before-${i}`, i, 10_000);
    // Framed with each late schema now, while the registry is up: written during the outages.
    const framedByOutage: { id: string; value: Buffer }[][] = [];
    for (let outage = 0; outage < size.restarts; outage += 1) {
      const prepared = await framer.prepare(subject, 'AVRO', { id: ids[outage + 1] as number }, 'value_schema_id');
      framedByOutage.push(
        Array.from({ length: size.framedPerOutage }, (_, i) => {
          const id = `${env.runId}-framed-${outage}-${i}`;
          const text = Buffer.from(JSON.stringify({ id, n: i }));
          return { id, value: encodeWith(prepared, parseJsonExact(text.toString()), text, 'value') };
        }),
      );
    }

    const newSchemaStatuses: number[] = [];
    for (let outage = 0; outage < size.restarts; outage += 1) {
      const startAgain = await registry.restart();
      recorder.bump('registry_restarts');
      const downSinceMs = Date.now();
      // A schema the produce function knows: accepted while the registry is down.
      for (let i = 0; i < size.requestsPerPhase; i += 1) await send(`${env.runId}-during-${outage}-${i}`, i, 10_000);
      // A schema it has never seen: 503, nothing written.
      const fresh = await fetch(`${pipeline.http}/topics/${topic}`, {
        method: 'POST',
        headers: { 'content-type': AVRO },
        body: JSON.stringify({ value_schema: valueSchema(`Unseen${outage}`), records: [{ value: { id: `${env.runId}-unseen-${outage}`, n: 0 } }] }),
      });
      newSchemaStatuses.push(fresh.status);
      await fresh.arrayBuffer();
      // Framed with a schema the consumer has not met: it must wait for the registry, not dead-letter.
      const framed = framedByOutage[outage] ?? [];
      await producer.send({ topic, acks: -1, messages: framed.map(({ value }) => ({ value })) });
      acknowledged.push(...framed.map(({ id }) => id));
      recorder.counts.sent += framed.length;
      const leftMs = size.outageMs - (Date.now() - downSinceMs);
      if (leftMs > 0) await new Promise((resolve) => setTimeout(resolve, leftMs));
      // Put back what the registry held, in order, before anyone sees it; check the ids came back the same.
      const restored: number[] = [];
      await startAgain(async () => {
        for (const schema of schemas) restored.push(await register(registry.directUrl, subject, schema));
      });
      recorder.expect(restored.join(',') === ids.join(','), `the restored registry gives the same ids (${ids.join(',')}, got ${restored.join(',')})`);
      // The whole outage as the pipeline saw it: the JVM's restart included.
      recorder.bump('outage_ms_total', Date.now() - downSinceMs);
    }
    recorder.details.new_schema_during_outage = newSchemaStatuses.join(',');
    recorder.expect(
      newSchemaStatuses.every((status) => status === 503),
      'produce with a schema the function has not met answers 503 while the registry is down',
    );
    for (let i = 0; i < size.requestsPerPhase; i += 1) await send(`${env.runId}-after-${i}`, i, 30_000);
  } finally {
    await producer.disconnect();
  }
  recorder.counts.acknowledged = acknowledged.length;

  const drain = await waitForDrain(lookAtPipeline(env, acknowledged), drainBound(size.drainTimeoutMs));
  recorder.details.drain_ms = drain.durationMs;
  const failure = drainFailure(drain);
  if (failure !== undefined) recorder.expect(false, failure);
  // The topic's records are Avro: read their ids with the registry, as the consumer does.
  const reader = new Schemas(new ConfluentSchemaRegistry({ url: registry.url, timeoutMs: 5_000 }));
  const onTopic: string[] = [];
  for (const record of await readTopic(broker.brokers, topic)) {
    if (record.value === null) continue;
    const decoded = await reader.decode(record.value).catch(() => undefined);
    const id = (decoded?.value as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') onTopic.push(id);
  }
  const result = account({ acknowledged, onTopic, sink: await env.sinkItems() });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  recorder.counts.deadLettered = await countTopic(broker.brokers, env.settings.onFailureTopic);
  recorder.expect(recorder.counts.deadLettered === 0, `registry restarts send nothing to the dead-letter topic (${recorder.counts.deadLettered} records were)`);
  recorder.details.consumer_retries = pipeline
    .output()
    .split('\n')
    .filter((line) => line.includes('batch failed, will retry')).length;
  // Why records failed, as the consume function logged it: the registry away, not the records.
  const reasons = new Set<string>();
  for (const line of pipeline.output().split('\n')) {
    if (!line.includes('"record failed"')) continue;
    const reason = /"reason":"([^"]*)"/.exec(line)?.[1];
    if (reason !== undefined) reasons.add(reason.slice(0, 160));
  }
  if (reasons.size > 0) recorder.details.failure_reasons = [...reasons].join(' | ');
  recorder.expect(pipeline.alive, 'the pipeline keeps running through the restarts');
}
