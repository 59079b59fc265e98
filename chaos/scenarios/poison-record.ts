/**
 * Scenario 4, poison record: one partition holds a record that always fails. It is retried
 * the configured number of times, goes to the dead-letter topic with its metadata, and
 * every other record in every partition is processed.
 */
import { account } from '../lib/accounting';
import { drainEnd, drainFailure, lookAtPipeline, waitForDrain, type DrainBound } from '../lib/drain';
import type { ChaosEnvironment } from '../lib/environment';
import { explainOutcome } from '../lib/explain';
import { chaosMessage, deadLetteredRecords, readTopic } from '../lib/observe';
import { produceDirect, type DirectMessage } from '../lib/produce-direct';
import { runInOwnEnvironment, type ScenarioRecorder, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';

/** How big the run is. */
export interface PoisonRecordSize {
  /** Good messages per partition. */
  messagesPerPartition: number;
  /** Where in its partition the poison record sits (how many good messages come before it). */
  poisonAfter: number;
  /** How long the pipeline may go without progress until every good record is in the sink and the group has committed past every record. */
  drain: DrainBound;
}

/** Sizes of `npm run chaos`. */
export const POISON_RECORD_FULL: PoisonRecordSize = { messagesPerPartition: 500, poisonAfter: 200, drain: { stallMs: 60_000, limitMs: 300_000 } };
/** Sizes of the version inside `npm test`. */
export const POISON_RECORD_SHORT: PoisonRecordSize = { messagesPerPartition: 40, poisonAfter: 15, drain: { stallMs: 30_000, limitMs: 90_000 } };

const POISON_PARTITION = 1;
const POISON_VALUE = '{"this is": not JSON';

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export function runPoisonRecord(options: ScenarioOptions<PoisonRecordSize>): Promise<ScenarioReport> {
  return runInOwnEnvironment('poison-record', options, (env, recorder) => body(env, options.size, recorder));
}

async function body(env: ChaosEnvironment, size: PoisonRecordSize, recorder: ScenarioRecorder): Promise<void> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const { topic, partitions, onFailureTopic, maximumRetryAttempts } = env.settings;
  const messages: DirectMessage[] = [];
  for (let partition = 0; partition < partitions; partition += 1) {
    for (let n = 0; n < size.messagesPerPartition; n += 1) {
      if (partition === POISON_PARTITION && n === size.poisonAfter)
        messages.push({ id: `${env.runId}-poison`, key: 'poison', seq: 0, partition, rawValue: POISON_VALUE });
      messages.push({ id: `${env.runId}-p${partition}-${n}`, key: `${env.runId}-p${partition}`, seq: n, partition });
    }
  }
  await produceDirect(broker.brokers, topic, messages);
  const good = messages.filter((message) => message.rawValue === undefined).map((message) => message.id);
  recorder.counts.sent = messages.length;
  recorder.counts.acknowledged = good.length;
  const poisonOffset = size.poisonAfter;
  // The scenario's own writes, read back: a copy would be a message of its own for the consumer.
  const topicRecords = await readTopic(broker.brokers, topic);
  const topicIds = topicRecords.map((record) => chaosMessage(record.value)?.id).filter((id): id is string => id !== undefined);

  const pipeline = await env.startPipeline();
  // Drained once every good record is in the sink and the group committed past every record,
  // the poison one included (the emulator commits past it once it is on the dead-letter topic).
  const drain = await waitForDrain(lookAtPipeline(env, good), size.drain);
  recorder.details.drain_ms = drain.durationMs;
  const failure = drainFailure(drain);
  if (failure !== undefined) recorder.expect(false, failure);
  const dlq = await readTopic(broker.brokers, onFailureTopic);
  const sink = await env.sinkItems();
  const result = account({ acknowledged: good, onTopic: topicIds, sink });
  Object.assign(recorder.counts, {
    onTopic: result.onTopic,
    inSink: result.inSink,
    lost: result.lost,
    duplicated: result.duplicated,
    deadLettered: dlq.length,
  });
  if (result.topicCopies > 0) recorder.details.topic_copies = result.topicCopies;
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  recorder.expect(result.topicCopies === 0, `the scenario wrote each message to the topic once (its producer wrote ${result.topicCopies} copies)`);
  recorder.expect(dlq.length === 1, `exactly the poison record is dead-lettered (saw ${dlq.length})`);
  const [poison] = deadLetteredRecords(dlq);
  if (poison !== undefined) {
    const where = `${poison.sourceTopic}/${poison.partition}/${poison.offset}`;
    recorder.details.dead_letter_source = where;
    recorder.details.dead_letter_invoke_count = poison.approximateInvokeCount;
    recorder.expect(
      where === `${topic}/${POISON_PARTITION}/${poisonOffset}`,
      `the dead-letter record names ${topic}/${POISON_PARTITION}/${poisonOffset} as its source (saw ${where})`,
    );
    recorder.expect(poison.value?.toString('utf8') === POISON_VALUE, 'the dead-letter record carries the original value unchanged');
    recorder.expect(poison.approximateInvokeCount === maximumRetryAttempts + 1, `the dead-letter record was invoked 1 + ${maximumRetryAttempts} times`);
    recorder.expect(poison.condition === 'RetryAttemptsExhausted', `the failure document's condition is RetryAttemptsExhausted (saw ${poison.condition})`);
  }
  recorder.expect(!sink.some((item) => item.id === `${env.runId}-poison`), 'the poison record has no effect');
  const retries = countRetries(pipeline.output(), POISON_PARTITION, poisonOffset);
  recorder.counts.retries = retries;
  recorder.details.configured_retries = maximumRetryAttempts;
  recorder.expect(retries === maximumRetryAttempts, `the poison record is retried ${maximumRetryAttempts} times (the emulator logged ${retries})`);
  recorder.expect(pipeline.alive, 'the pipeline keeps running');
  await explainOutcome(env, recorder, result, { topicRecords, deadLettered: dlq, drain: drainEnd(drain) });
}

/** Counts the emulator's `will retry` log lines for the poison record's position. */
function countRetries(output: string, partition: number, offset: number): number {
  let retries = 0;
  for (const line of output.split('\n')) {
    if (!line.includes('will retry')) continue;
    try {
      const entry = JSON.parse(line) as { partition?: unknown; failedOffset?: unknown };
      if (entry.partition === partition && entry.failedOffset === String(offset)) retries += 1;
    } catch {
      // Not a JSON log line.
    }
  }
  return retries;
}
