/**
 * Scenario 3, concurrent redelivery: the same batches are delivered to two consumers at
 * once, as during a rebalance, each a separate consume runtime (two containers) on the real
 * store; then each one's failures are redelivered to it until nothing fails. Each effect
 * happens once.
 */
import { account } from '../lib/accounting';
import { createEnvironment, type ChaosEnvironment } from '../lib/environment';
import { kafkaEvent, type EventRecordSpec } from '../lib/kafka-events';
import { guarded, ScenarioRecorder, type ScenarioOptions } from '../lib/scenario';
import type { ScenarioReport } from '../lib/report';
import { createConsumeRuntime, type ConsumeRuntime, type KafkaBatchResponse, type KafkaEvent } from '../../lib/consume/index';
import { silentLogger } from '../../lib/logger';

/** How big the run is. */
export interface ConcurrentRedeliverySize {
  messages: number;
  /** Batches delivered to both consumers at the same moment. */
  batchesInFlight: number;
  /** Redelivery rounds before the scenario gives up on a record. */
  maxRounds: number;
}

/** Sizes of `npm run chaos`. */
export const CONCURRENT_REDELIVERY_FULL: ConcurrentRedeliverySize = { messages: 3_000, batchesInFlight: 2, maxRounds: 10 };
/** Sizes of the version inside `npm test`. */
export const CONCURRENT_REDELIVERY_SHORT: ConcurrentRedeliverySize = { messages: 600, batchesInFlight: 2, maxRounds: 10 };

/** Runs the scenario in a world of its own and reports its figures; never throws. */
export async function runConcurrentRedelivery(options: ScenarioOptions<ConcurrentRedeliverySize>): Promise<ScenarioReport> {
  const recorder = new ScenarioRecorder('concurrent-redelivery');
  options.watch?.(recorder);
  let env: ChaosEnvironment | undefined;
  return guarded(recorder, async () => {
    env = await createEnvironment({ logger: options.logger, broker: false });
    await body(env, options.size, recorder);
  }).finally(() => env?.close());
}

/** The records of `batch` that `response` reports failed. */
function failedRecords(batch: readonly EventRecordSpec[], response: KafkaBatchResponse): EventRecordSpec[] {
  const failed = new Set(response.batchItemFailures.map((failure) => `${failure.itemIdentifier.partition}@${failure.itemIdentifier.offset}`));
  return batch.filter((record) => failed.has(`${record.topic}-${record.partition}@${record.offset}`));
}

async function body(env: ChaosEnvironment, size: ConcurrentRedeliverySize, recorder: ScenarioRecorder): Promise<void> {
  const topic = env.settings.topic;
  const partitions = env.settings.partitions;
  const records: EventRecordSpec[] = Array.from({ length: size.messages }, (_, n) => ({
    topic,
    partition: n % partitions,
    offset: Math.floor(n / partitions),
    key: `${env.runId}-key-${n % 30}`,
    value: JSON.stringify({ id: `${env.runId}-${n}` }),
  }));
  recorder.counts.sent = size.messages;
  recorder.counts.acknowledged = size.messages;
  recorder.counts.onTopic = size.messages;
  const batches: EventRecordSpec[][] = [];
  for (let i = 0; i < records.length; i += env.settings.batchSize) batches.push(records.slice(i, i + env.settings.batchSize));

  const consumers: ConsumeRuntime[] = [0, 1].map(() => createConsumeRuntime(env.config(), { logger: silentLogger }));
  let invocation = 0;
  const deliver = async (consumer: ConsumeRuntime, batch: readonly EventRecordSpec[]): Promise<EventRecordSpec[]> => {
    invocation += 1;
    // As Lambda does: the handler knows its deadline (the deployed 60 s), so it may wait for the other.
    const deadlineMs = Date.now() + 60_000;
    const context = { awsRequestId: `chaos-${invocation}`, getRemainingTimeInMillis: () => deadlineMs - Date.now() };
    try {
      return failedRecords(batch, await consumer.handler(kafkaEvent(batch) as unknown as KafkaEvent, context));
    } catch {
      // A failed invocation: the event source delivers the whole batch again.
      recorder.bump('failed_invocations');
      return [...batch];
    }
  };
  // Lock-step rounds: every delivery of a round runs at the same time, and the next round
  // (each consumer's failures, delivered to it again) starts once all of them answered, as
  // when the event source retries after the competing invocation has finished.
  let stuck = 0;
  try {
    for (let i = 0; i < batches.length; i += size.batchesInFlight) {
      let pending = batches.slice(i, i + size.batchesInFlight).flatMap((batch) => consumers.map((consumer) => ({ consumer, records: batch })));
      for (let round = 0; pending.length > 0; round += 1) {
        if (round > size.maxRounds) {
          stuck += pending.reduce((sum, delivery) => sum + delivery.records.length, 0);
          break;
        }
        if (round > 0) recorder.counts.retries += pending.reduce((sum, delivery) => sum + delivery.records.length, 0);
        const failed = await Promise.all(
          pending.map(async (delivery) => ({ consumer: delivery.consumer, records: await deliver(delivery.consumer, delivery.records) })),
        );
        pending = failed.filter((delivery) => delivery.records.length > 0);
      }
    }
  } finally {
    await Promise.all(consumers.map((consumer) => consumer.close()));
  }
  recorder.details.invocations = invocation;
  recorder.expect(stuck === 0, `every redelivered record is eventually done (${stuck} still failing after ${size.maxRounds} rounds)`);
  const result = account({
    acknowledged: records.map((r) => JSON.parse(String(r.value)).id as string),
    onTopic: records.map((r) => JSON.parse(String(r.value)).id as string),
    sink: await env.sinkItems(),
  });
  Object.assign(recorder.counts, { inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.duplicatedExamples.length > 0) recorder.details.duplicated_examples = result.duplicatedExamples.join(',');
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
}
