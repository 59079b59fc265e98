/**
 * Scenario 2, consumer crash: the process running the event-source emulator and the
 * consume handler is killed with SIGKILL several times mid-batch and restarted. Each
 * message reaches the sink exactly once, in per-key order.
 *
 * Every other message carries headers with bytes above 127 (a UTF-8 non-ASCII `message-id`,
 * a binary header, and for some a non-ASCII caller), which the emulator sends as signed Java
 * bytes as AWS does: a decoder that refused them would dead-letter, and lose, those messages.
 */
import { account } from '../lib/accounting';
import type { ChaosEnvironment } from '../lib/environment';
import { drainBound, drainEnd, drainFailure, lookAtPipeline, waitForDrain } from '../lib/drain';
import { explainOutcome } from '../lib/explain';
import { chaosMessage, countTable, deadLetteredRecords, readTopic, scanTable } from '../lib/observe';
import { produceDirect, type DirectMessage } from '../lib/produce-direct';
import { runInOwnEnvironment, type ScenarioRecorder, waitUntil, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';

/** How big the run is. */
export interface ConsumerCrashSize {
  messages: number;
  keys: number;
  /** SIGKILLs, each when the sink holds a further share of the messages. */
  kills: number;
  /** CONSUME_LEASE_MS for the pipeline; undefined keeps the configuration's default. */
  leaseMs?: number;
  /** How long each wait for the sink may take, and the final drain may go without progress (three times that in all). */
  drainTimeoutMs: number;
}

/** Sizes of `npm run chaos`. */
export const CONSUMER_CRASH_FULL: ConsumerCrashSize = { messages: 5_000, keys: 50, kills: 4, drainTimeoutMs: 240_000 };
/** Sizes of the version inside `npm test`. */
export const CONSUMER_CRASH_SHORT: ConsumerCrashSize = { messages: 600, keys: 10, kills: 2, leaseMs: 5_000, drainTimeoutMs: 60_000 };

/** A sink item as the default processor writes it, with the chaos message it carries. */
export interface SinkItem {
  id: string;
  key?: string;
  seq?: number;
  partition: number;
  offset: number;
  processedAt: string;
}

/**
 * Counts per-key order violations: ordered by sequence number, a key's messages must have
 * growing offsets on the topic and must not have been processed earlier than their predecessor.
 */
export function orderViolations(items: readonly SinkItem[]): number {
  const byKey = new Map<string, SinkItem[]>();
  for (const item of items) {
    if (item.key === undefined || item.seq === undefined) continue;
    const list = byKey.get(item.key) ?? [];
    list.push(item);
    byKey.set(item.key, list);
  }
  let violations = 0;
  for (const list of byKey.values()) {
    list.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    for (let i = 1; i < list.length; i += 1) {
      const before = list[i - 1] as SinkItem;
      const after = list[i] as SinkItem;
      if (after.partition !== before.partition || after.offset <= before.offset || after.processedAt < before.processedAt) violations += 1;
    }
  }
  return violations;
}

function toSinkItem(item: Record<string, unknown>): SinkItem | undefined {
  const message = chaosMessage(item.value);
  if (message === undefined) return undefined;
  const processedAt = typeof item.processedAt === 'number' ? new Date(item.processedAt).toISOString() : String(item.processedAt ?? '');
  return { ...message, partition: Number(item.partition), offset: Number(item.offset), processedAt };
}

/** Headers with bytes above 127: a non-ASCII message id, a binary value, and every fourth message a non-ASCII caller. */
function nonAsciiHeaders(runId: string, n: number): Record<string, string | Buffer> {
  return {
    'message-id': `${runId}-nº-${n}-été`,
    'x-trace': Buffer.from([0x00, 0x7f, 0x80, 0xc3, 0xab, 0xff]),
    ...(n % 4 === 1 ? { 'x-caller-id': 'chaos-caller-ü' } : {}),
  };
}

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export function runConsumerCrash(options: ScenarioOptions<ConsumerCrashSize>): Promise<ScenarioReport> {
  return runInOwnEnvironment('consumer-crash', options, (env, recorder) => body(env, options.size, recorder));
}

async function body(env: ChaosEnvironment, size: ConsumerCrashSize, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const messages: DirectMessage[] = Array.from({ length: size.messages }, (_, n) => ({
    id: `${env.runId}-${n}`,
    key: `${env.runId}-key-${n % size.keys}`,
    seq: Math.floor(n / size.keys),
    ...(n % 2 === 1 ? { headers: nonAsciiHeaders(env.runId, n) } : {}),
  }));
  recorder.details.non_ascii_header_messages = messages.filter((message) => message.headers !== undefined).length;
  // Everything is on the topic before the consumer starts, so every batch is a full one.
  await produceDirect(broker.brokers, env.settings.topic, messages);
  recorder.counts.sent = size.messages;
  recorder.counts.acknowledged = size.messages;
  const pipelineEnv: Record<string, string> = size.leaseMs === undefined ? {} : { CONSUME_LEASE_MS: String(size.leaseMs) };
  let pipeline = await env.startPipeline(pipelineEnv);
  let midBatch = 0;
  for (let kill = 1; kill <= size.kills; kill += 1) {
    const threshold = Math.floor((size.messages * kill) / (size.kills + 2));
    const seen = await waitUntil(
      `${threshold} messages in the sink`,
      async () => {
        const count = await countTable(env.dynamo, env.tables.messages);
        return count > threshold ? count : undefined;
      },
      size.drainTimeoutMs,
      25,
    );
    await pipeline.kill();
    recorder.bump('kills');
    if (seen < size.messages) midBatch += 1;
    pipeline = await env.startPipeline(pipelineEnv);
  }
  recorder.details.kills_mid_run = midBatch;
  const ids = messages.map((m) => m.id);
  const drain = await waitForDrain(lookAtPipeline(env, ids), drainBound(size.drainTimeoutMs));
  recorder.details.drain_ms = drain.durationMs;
  const failure = drainFailure(drain);
  if (failure !== undefined) recorder.expect(false, failure);
  const items = (await scanTable(env.dynamo, env.tables.messages)).map(toSinkItem).filter((item): item is SinkItem => item !== undefined);
  const topicRecords = await readTopic(broker.brokers, env.settings.topic);
  const topicIds = topicRecords.map((record) => chaosMessage(record.value)?.id).filter((id): id is string => id !== undefined);
  const result = account({ acknowledged: ids, onTopic: topicIds, sink: await env.sinkItems() });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  recorder.expect(result.topicCopies === 0, `the scenario wrote each message to the topic once (its producer wrote ${result.topicCopies} copies)`);
  const violations = orderViolations(items);
  recorder.details.order_violations = violations;
  recorder.expect(violations === 0, 'each key is processed in order');
  recorder.expect(midBatch >= 1, 'at least one kill lands mid-run (before the sink is complete)');
  recorder.expect(pipeline.alive, 'the restarted pipeline keeps running');
  const deadLettered = await readTopic(broker.brokers, env.settings.onFailureTopic);
  recorder.counts.deadLettered = deadLettered.length;
  const applied = new Set(items.map((item) => item.id));
  const withEffect = deadLetteredRecords(deadLettered).filter((record) => applied.has(chaosMessage(record.value)?.id ?? '')).length;
  recorder.details.dead_lettered_after_effect = withEffect;
  recorder.expect(
    deadLettered.length === 0,
    `a crash sends nothing to the dead-letter topic (${deadLettered.length} records were, ${withEffect} of them already applied)`,
  );
  await explainOutcome(env, recorder, result, { topicRecords, deadLettered, drain: drainEnd(drain) });
}
