/**
 * Gathers what explains a loss or a duplicate found by the accounting — the topic, the
 * dead-letter topic, the consumer group's committed offsets, the sink's items and accepted
 * writes, the pipelines' logs — and adds the lines of `./diagnosis` to the scenario's report.
 */
import type { Accounting } from './accounting';
import { duplicatesLines, lossesLines, parseLog, type DrainEnd, type RecordPosition } from './diagnosis';
import type { ChaosEnvironment } from './environment';
import { chaosMessage, consumerPositions, deadLetteredRecords, readTopic, type TopicRecord } from './observe';
import type { ScenarioRecorder } from './scenario';

/** What the scenario has read already, and how its drain ended. */
export interface ExplainContext {
  /** The event topic's records, when the scenario read them; read here otherwise. */
  topicRecords?: readonly TopicRecord[];
  /** The dead-letter topic's records (failure documents), when the scenario read them; read here otherwise. */
  deadLettered?: readonly TopicRecord[];
  drain: DrainEnd;
}

/** Each chaos id's records, by position. */
function positionsById(topic: string, records: readonly TopicRecord[]): Map<string, RecordPosition[]> {
  const byId = new Map<string, RecordPosition[]>();
  for (const record of records) {
    const id = chaosMessage(record.value)?.id;
    if (id === undefined) continue;
    const positions = byId.get(id) ?? [];
    positions.push({ topic, partition: record.partition, offset: record.offset });
    byId.set(id, positions);
  }
  return byId;
}

/**
 * Adds the explanation of every loss and duplicate in `result` to `recorder.diagnosis`;
 * nothing when there is neither. Never throws: a failure to explain is itself reported.
 */
export async function explainOutcome(env: ChaosEnvironment, recorder: ScenarioRecorder, result: Accounting, context: ExplainContext): Promise<void> {
  if (result.lost === 0 && result.duplicated === 0) return;
  try {
    const { topic, onFailureTopic, consumerGroupId } = env.settings;
    const brokers = env.broker?.brokers;
    const topicRecords = context.topicRecords ?? (brokers === undefined ? undefined : await readTopic(brokers, topic));
    const deadLettered = context.deadLettered ?? (brokers === undefined ? [] : await readTopic(brokers, onFailureTopic));
    const committed = new Map(
      (brokers === undefined ? [] : await consumerPositions(brokers, consumerGroupId, topic)).map(({ partition, committed: offset }) => [partition, offset]),
    );
    const records = topicRecords === undefined ? undefined : positionsById(topic, topicRecords);
    const dead = new Set(deadLetteredRecords(deadLettered).map((record) => chaosMessage(record.value)?.id));
    const items = await env.sinkItems();
    const writes = env.sinkCounter.writeLog();
    const log = parseLog(env.pipelineOutput());
    const losses = result.lostIds.map((id) => {
      const record = records?.get(id)?.[0];
      const offset = record === undefined ? undefined : committed.get(record.partition);
      return { id, deadLettered: dead.has(id), ...(record === undefined ? {} : { record }), ...(offset === undefined ? {} : { committed: offset }) };
    });
    const duplicates = result.duplicatedIds.map((id) => {
      const held = items.filter((item) => item.id === id);
      const keys = new Set(held.map((item) => item.messageId));
      const positions = records?.get(id);
      return { id, items: held, writes: writes.filter((write) => keys.has(write.key)), log, ...(positions === undefined ? {} : { records: positions }) };
    });
    recorder.diagnosis.push(...lossesLines(losses, context.drain, log), ...duplicatesLines(duplicates));
  } catch (error) {
    recorder.diagnosis.push(`  explaining the losses and duplicates failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
