/**
 * Scenario 8, the mapping's settings under broker restarts: filters, bisection and a redrive.
 * Each partition holds records of three kinds: `keep` ones, `ignore` ones that the mapping's
 * filter drops, and `crash` ones on which the function (a version with a bug) throws. The
 * event source emulator runs the consume function with a filter keeping `keep` and `crash`,
 * bisection on and one retry, while the broker is restarted: bisection isolates each crash
 * record, which goes to the on-failure topic, and every other record is processed. Then the
 * bug is fixed and the on-failure topic redriven, with a broker restart in the middle of it
 * (the redrive is run again until it has read everything). At the end every `keep` and
 * `crash` record is in the sink exactly once, and no `ignore` record ever is.
 */
import { createConsumeRuntime } from '../../lib/consume/index';
import { silentLogger } from '../../lib/logger';
import { startEventSourceEmulator, type KafkaEventHandler } from '../../local/event-source-emulator';
import { parseEventSourceSettings } from '../../local/event-source-settings';
import { redrive, redriveGroupId, type RedriveSummary } from '../../local/redrive';
import { account } from '../lib/accounting';
import type { ChaosEnvironment } from '../lib/environment';
import { chaosMessage, deadLetteredRecords, readTopic } from '../lib/observe';
import { produceDirect, type DirectMessage } from '../lib/produce-direct';
import type { ScenarioReport } from '../lib/report';
import { runInOwnEnvironment, type ScenarioRecorder, waitUntil, type ScenarioOptions } from '../lib/scenario';

/** How big the run is. */
export interface EventSourceSettingsSize {
  messagesPerPartition: number;
  /** Every n-th message of a partition is an `ignore` one (filtered out). */
  ignoreEvery: number;
  /** Every n-th message of a partition is a `crash` one (where it is not an `ignore` one). */
  crashEvery: number;
  /** Broker restarts while the records flow. */
  restarts: number;
  /** How long the records may take to reach the sink (or the on-failure topic), and the redrive's records. */
  drainMs: number;
}

/** Sizes of `npm run chaos`. */
export const EVENT_SOURCE_SETTINGS_FULL: EventSourceSettingsSize = { messagesPerPartition: 300, ignoreEvery: 4, crashEvery: 45, restarts: 3, drainMs: 240_000 };
/** Sizes of the version inside `npm test`. */
export const EVENT_SOURCE_SETTINGS_SHORT: EventSourceSettingsSize = { messagesPerPartition: 40, ignoreEvery: 4, crashEvery: 15, restarts: 1, drainMs: 90_000 };

type Kind = 'keep' | 'ignore' | 'crash';

function kindOf(n: number, size: EventSourceSettingsSize): Kind {
  if (n % size.ignoreEvery === size.ignoreEvery - 1) return 'ignore';
  if (n % size.crashEvery === size.crashEvery - 1) return 'crash';
  return 'keep';
}

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export function runEventSourceSettings(options: ScenarioOptions<EventSourceSettingsSize>): Promise<ScenarioReport> {
  return runInOwnEnvironment('event-source-settings', options, (env, recorder) => body(env, options.size, recorder));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops the broker for a moment `times` times, `everyMs` apart. */
async function restartBroker(env: ChaosEnvironment, times: number, everyMs: number, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  for (let restart = 0; restart < times; restart += 1) {
    await sleep(everyMs);
    await broker.stop();
    await sleep(1_000);
    await broker.start();
    recorder.bump('broker_restarts');
  }
}

async function body(env: ChaosEnvironment, size: EventSourceSettingsSize, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const settings = parseEventSourceSettings({
    ...env.settings,
    batchSize: 20,
    maximumRetryAttempts: 1,
    bisectBatchOnFunctionError: true,
    filterPatterns: [{ value: { kind: ['keep', 'crash'] } }],
  });
  const messages: (DirectMessage & { kind: Kind })[] = [];
  for (let partition = 0; partition < settings.partitions; partition += 1) {
    for (let n = 0; n < size.messagesPerPartition; n += 1) {
      const id = `${env.runId}-p${partition}-${n}`;
      const key = `${env.runId}-p${partition}`;
      const kind = kindOf(n, size);
      messages.push({ id, key, seq: n, partition, kind, rawValue: JSON.stringify({ id, key, seq: n, kind }), headers: { 'message-id': id } });
    }
  }
  await produceDirect(broker.brokers, settings.topic, messages);
  const wanted = messages.filter((message) => message.kind !== 'ignore').map((message) => message.id);
  const crashIds = new Set(messages.filter((message) => message.kind === 'crash').map((message) => message.id));
  const ignored = new Set(messages.filter((message) => message.kind === 'ignore').map((message) => message.id));
  recorder.counts.sent = messages.length;
  recorder.counts.acknowledged = wanted.length;
  const topicIds = (await readTopic(broker.brokers, settings.topic))
    .map((record) => chaosMessage(record.value)?.id)
    .filter((id): id is string => id !== undefined);

  // The function with a bug: it throws on any event holding a crash record.
  let buggy = true;
  const consume = createConsumeRuntime(env.config(), { logger: silentLogger, scope: settings.consumerGroupId });
  const handler: KafkaEventHandler = async (event, context) => {
    const crashes = Object.values(event.records)
      .flat()
      .some((record) => crashIds.has(chaosIdOf(record.value)));
    if (buggy && crashes) throw new Error('TypeError: cannot read properties of a crash record');
    return consume.handler(event, context);
  };
  const emulator = await startEventSourceEmulator({
    config: env.config(),
    settings,
    handler,
    logger: silentLogger,
    batchingWindowMs: 50,
    retryBackoff: { initialMs: 50, maxMs: 500 },
  });
  try {
    const restarts = restartBroker(env, size.restarts, 1_500, recorder);
    const inSink = async (ids: Iterable<string>): Promise<boolean> => {
      const have = new Set(await env.sinkEffects());
      return [...ids].every((id) => have.has(id));
    };
    const keepIds = wanted.filter((id) => !crashIds.has(id));
    try {
      await waitUntil(
        'every keep record in the sink, every crash record on the on-failure topic and every ignore record passed over',
        async () => (await inSink(keepIds)) && emulator.stats().deadLettered >= crashIds.size && emulator.stats().filteredOut >= ignored.size,
        size.drainMs,
        250,
      );
    } finally {
      // Also when the wait times out: the report then says how far the count got.
      Object.assign(recorder.details, { filtered_out: emulator.stats().filteredOut, dead_lettered_by_emulator: emulator.stats().deadLettered });
    }
    await restarts;
    const dlq = deadLetteredRecords(await readTopic(broker.brokers, settings.onFailureTopic));
    const stats = emulator.stats();
    Object.assign(recorder.details, { filtered_out: stats.filteredOut, bisected: stats.bisected, dead_lettered_before_redrive: dlq.length });
    recorder.counts.deadLettered = dlq.length;
    recorder.counts.retries = stats.retried;
    const dlqIds = new Set(dlq.map((record) => chaosMessage(record.value)?.id ?? ''));
    // A failure record written again after a restart lost the commit past it is a copy (at least once, as Lambda); its id is the same.
    recorder.details.dead_letter_copies = dlq.length - dlqIds.size;
    recorder.expect(
      dlqIds.size === crashIds.size && [...dlqIds].every((id) => crashIds.has(id)),
      `exactly the ${crashIds.size} crash records are dead-lettered, bisected out of their batches (saw ${dlqIds.size} distinct)`,
    );
    recorder.expect(stats.bisected > 0, 'batches were bisected');
    // Counted once each, however often a retry, a bisection or a broker restart made the emulator plan them again.
    recorder.expect(stats.filteredOut === ignored.size, `each of the ${ignored.size} ignore records counted filtered once (counted ${stats.filteredOut})`);

    // The bug fixed, the on-failure topic redriven, with the broker restarted during the redrive.
    buggy = false;
    const summaries = await redriveUntilDone(env, settings.consumerGroupId, settings.onFailureTopic, recorder);
    recorder.details.redrive_runs = summaries.length;
    // Read committed, as the consume function reads: a redrive run broken mid-transaction wrote nothing.
    const redriven = (await readTopic(broker.brokers, settings.topic)).filter((record) => record.headers['redriven-from'] !== undefined);
    recorder.details.redriven = redriven.length;
    recorder.expect(
      redriven.length === dlq.length,
      `each failure record redriven once, whatever the interruptions (${redriven.length} records for ${dlq.length} failure records)`,
    );
    await waitUntil('every record in the sink', () => inSink(wanted), size.drainMs, 250);
  } finally {
    await emulator.stop();
    await consume.close();
  }

  const sink = await env.sinkItems();
  const result = account({ acknowledged: wanted, onTopic: topicIds, sink });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  if (result.duplicatedExamples.length > 0) recorder.details.duplicated_examples = result.duplicatedExamples.join(',');
  const filteredInSink = sink.filter((item) => ignored.has(item.id)).length;
  recorder.details.filtered_in_sink = filteredInSink;
  recorder.expect(filteredInSink === 0, `no filtered record is ever in the sink (saw ${filteredInSink})`);
  recorder.expect(result.lost === 0, `nothing lost (lost ${result.lost})`);
  recorder.expect(result.duplicated === 0, `nothing applied twice (duplicated ${result.duplicated})`);
}

/** The chaos id in a base64 event value, or '' when there is none. */
function chaosIdOf(value: string | undefined): string {
  return chaosMessage(Buffer.from(value ?? '', 'base64').toString('utf8'))?.id ?? '';
}

/**
 * Runs the redrive (apply) until a run finds nothing left, restarting the broker during the
 * first run; a run the restart breaks, or that outlasts 20 s, is stopped and run again.
 */
async function redriveUntilDone(env: ChaosEnvironment, consumerGroupId: string, onFailureTopic: string, recorder: ScenarioRecorder): Promise<RedriveSummary[]> {
  const summaries: RedriveSummary[] = [];
  const groupId = redriveGroupId(consumerGroupId, {});
  const restart = restartBroker(env, 1, 300, recorder);
  for (let run = 0; run < 20; run += 1) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 20_000);
    try {
      const summary = await redrive({ config: env.config(), logger: silentLogger, onFailureTopic, groupId, apply: true, filters: {}, signal: stop.signal });
      summaries.push(summary);
      if (summary.read === 0) break;
    } catch {
      recorder.bump('redrive_interrupted');
      await sleep(1_000);
    } finally {
      clearTimeout(timer);
    }
  }
  await restart;
  return summaries;
}
