/**
 * What a scenario prints when it finds a duplicate or a loss, so that one failure is enough
 * to find the cause: for a duplicated message, every sink item holding it with each write the
 * store accepted (and the invocation that made it), and the event-source emulator's log lines
 * for its offsets; for a lost one, where the record is (on the topic, on the dead-letter topic,
 * behind the consumer group's committed offset) and whether the drain simply ended too soon.
 * Pure: the facts are gathered by `./explain`.
 */
import type { SinkItem } from './accounting';
import type { AcceptedWrite } from './sink-counter';

/** Where a record of a chaos message sits. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** A line of the pipeline's JSON log that the diagnosis reads; other lines are skipped. */
export interface LogLine {
  /** The line as the pipeline wrote it. */
  raw: string;
  timeMs: number;
  message: string;
  fields: Record<string, unknown>;
}

/** Parses the pipeline's output into its JSON log lines. */
export function parseLog(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of output.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const fields = JSON.parse(raw) as Record<string, unknown>;
      const timeMs = Date.parse(String(fields.time));
      if (typeof fields.message === 'string' && !Number.isNaN(timeMs)) lines.push({ raw, timeMs, message: fields.message, fields });
    } catch {
      // Not a JSON log line.
    }
  }
  return lines;
}

/** Whether an emulator line is about `partition` and covers `offset` (its batch, or its failing or dead-lettered record). */
function coversOffset(line: LogLine, partition: number, offset: number): boolean {
  const { fields } = line;
  if (!line.message.startsWith('event source:') || fields.partition !== partition) return false;
  const named = [fields.failedOffset, ...(Array.isArray(fields.deadLetteredOffsets) ? fields.deadLetteredOffsets : [])];
  if (named.some((value) => value !== undefined && Number(value) === offset)) return true;
  const first = Number(fields.firstOffset);
  const last = Number(fields.lastOffset);
  return Number.isFinite(first) && Number.isFinite(last) && first <= offset && offset <= last;
}

/** The emulator's lines about `position` (at most `limit`, the last ones). */
export function emulatorLinesFor(log: readonly LogLine[], position: RecordPosition, limit = 8): LogLine[] {
  return log.filter((line) => coversOffset(line, position.partition, position.offset)).slice(-limit);
}

/** A slack for clocks read a moment apart within one process (the item's time is read before the write). */
const WINDOW_SLACK_MS = 5;

/**
 * The invocation that made a write: the emulator's batch line covering the record whose time
 * window (`time - durationMs` to `time`) holds the write's `processedAt`, and the consume
 * function's `consume batch` line for the same request id (its `invocationId`).
 */
export function invocationOf(log: readonly LogLine[], position: RecordPosition, processedAt: string | undefined): string {
  const atMs = processedAt === undefined ? Number.NaN : Date.parse(processedAt);
  if (Number.isNaN(atMs)) return 'unknown (the write carried no processedAt)';
  const batch = log.find((line) => {
    const durationMs = Number(line.fields.durationMs);
    return (
      typeof line.fields.awsRequestId === 'string' &&
      Number.isFinite(durationMs) &&
      coversOffset(line, position.partition, position.offset) &&
      line.timeMs - durationMs - WINDOW_SLACK_MS <= atMs &&
      atMs <= line.timeMs + WINDOW_SLACK_MS
    );
  });
  if (batch === undefined) return 'unknown (no emulator batch line covers it: an in-process consumer, or the log was cut)';
  const requestId = String(batch.fields.awsRequestId);
  const consumed = log.find((line) => line.message === 'consume batch' && String(line.fields.invocationId).startsWith(`${requestId}:`));
  return consumed === undefined ? `awsRequestId=${requestId}` : `${String(consumed.fields.invocationId)}`;
}

/** Everything known about one duplicated message. */
export interface DuplicateFacts {
  id: string;
  /** Its records on the topic, when the scenario read the topic. */
  records?: readonly RecordPosition[];
  items: readonly SinkItem[];
  /** The accepted writes of its items (by `messageId`). */
  writes: readonly AcceptedWrite[];
  log: readonly LogLine[];
}

function positionOf(item: SinkItem): RecordPosition | undefined {
  return item.topic === undefined || item.partition === undefined || item.offset === undefined
    ? undefined
    : { topic: item.topic, partition: item.partition, offset: item.offset };
}

function positionText(position: RecordPosition): string {
  return `${position.topic}/${position.partition}/${position.offset}`;
}

/** The lines for one duplicated message (see the module comment). */
export function duplicateLines(facts: DuplicateFacts): string[] {
  const effects = facts.items.reduce((sum, item) => sum + item.writes, 0);
  const records = facts.records === undefined ? 'the topic was not read' : `${facts.records.length} record(s) on the topic`;
  const where = facts.records === undefined || facts.records.length === 0 ? '' : ` at ${facts.records.map(positionText).join(', ')}`;
  const lines = [`  duplicated ${facts.id}: ${effects} effect(s) in ${facts.items.length} sink item(s); ${records}${where}`];
  for (const item of facts.items) {
    const position = positionOf(item);
    lines.push(
      `    sink item messageId=${item.messageId} caller=${item.callerId ?? '-'} topic=${item.topic ?? '-'} partition=${item.partition ?? '-'} offset=${item.offset ?? '-'} processedAt=${item.processedAt ?? '-'} accepted_writes=${item.writes}`,
    );
    const writes = facts.writes.filter((write) => write.key === item.messageId);
    for (const [n, write] of writes.entries()) {
      const invocation = position === undefined ? 'unknown (the item names no record)' : invocationOf(facts.log, position, write.processedAt);
      // The consumer stamps processedAt once per attempt: a later write with an earlier write's stamp sent that attempt's item again.
      const earlier = write.processedAt === undefined ? -1 : writes.findIndex((other) => other.processedAt === write.processedAt);
      const again = earlier !== -1 && earlier < n ? ` same_item_as=write ${earlier + 1}` : '';
      lines.push(
        `      write ${n + 1}: ${write.operation} request=${write.request} processedAt=${write.processedAt ?? '-'} accepted_at=${new Date(write.acceptedAtMs).toISOString()} invocation=${invocation}${again}`,
      );
    }
    if (position !== undefined) for (const line of emulatorLinesFor(facts.log, position)) lines.push(`      emulator: ${line.raw}`);
  }
  return lines;
}

/** Why an acknowledged message has no effect. */
export const LossCause = {
  /** Not on the topic: lost before the consumer (produce side). */
  NotOnTopic: 'not-on-topic',
  /** On the dead-letter topic: the consumer gave up on it. */
  DeadLettered: 'dead-lettered',
  /** At or after the committed offset: not consumed yet when the sink was read. */
  NotConsumedYet: 'not-consumed-yet',
  /** Behind the committed offset, without an effect and not dead-lettered: committed past without being applied. */
  CommittedWithoutEffect: 'committed-without-effect',
} as const;
export type LossCause = (typeof LossCause)[keyof typeof LossCause];

/** What each cause means, for the report line. */
const LOSS_MEANING: Record<LossCause, string> = {
  [LossCause.NotOnTopic]: 'lost before the consumer',
  [LossCause.DeadLettered]: 'the consumer gave up on it',
  [LossCause.NotConsumedYet]: 'not consumed when the sink was read',
  [LossCause.CommittedWithoutEffect]: 'the consumer moved past it without applying it',
};

/** Everything known about one lost message. */
export interface LossFacts {
  id: string;
  /** Its first record on the topic; undefined when the topic holds none. */
  record?: RecordPosition;
  /** Whether a record carrying it is on the dead-letter topic. */
  deadLettered: boolean;
  /** The consumer group's committed offset for the record's partition (-1 before the first commit); undefined when unknown. */
  committed?: number;
}

/** Classifies a loss (see {@link LossCause}). */
export function classifyLoss(facts: Omit<LossFacts, 'id'>): LossCause {
  if (facts.record === undefined) return LossCause.NotOnTopic;
  if (facts.deadLettered) return LossCause.DeadLettered;
  if (facts.committed === undefined || facts.record.offset >= facts.committed) return LossCause.NotConsumedYet;
  return LossCause.CommittedWithoutEffect;
}

/** How the wait for the pipeline to drain ended, in words (see `./drain`). */
export type DrainEnd = { drained: true } | { drained: false; why: string };

/** The line for one lost message, with the emulator's lines about its record. */
export function lossLines(facts: LossFacts, drain: DrainEnd, log: readonly LogLine[]): string[] {
  const cause = classifyLoss(facts);
  const topic = facts.record === undefined ? 'not on the topic' : `on the topic at ${positionText(facts.record)}`;
  const dead = facts.deadLettered ? 'on the dead-letter topic' : 'not on the dead-letter topic';
  const committed =
    facts.record === undefined || facts.committed === undefined
      ? 'committed offset unknown'
      : facts.record.offset < facts.committed
        ? `behind the committed offset (partition ${facts.record.partition} committed ${facts.committed})`
        : `not behind the committed offset (partition ${facts.record.partition} committed ${facts.committed})`;
  const verdict =
    cause === LossCause.NotConsumedYet
      ? drain.drained
        ? 'not consumed yet although the drain ended'
        : `not consumed yet: the drain ended too soon (${drain.why})`
      : `${cause}: ${LOSS_MEANING[cause]}`;
  const lines = [`  lost ${facts.id}: ${topic}; ${dead}; ${committed}; ${verdict}`];
  if (facts.record !== undefined) for (const line of emulatorLinesFor(log, facts.record)) lines.push(`    emulator: ${line.raw}`);
  return lines;
}

/** Lost messages printed in full; the others are counted by cause. */
export const LOSSES_SHOWN = 10;
/** Duplicated messages printed in full. */
export const DUPLICATES_SHOWN = 10;

/** The lines for every loss: the first {@link LOSSES_SHOWN} in full, then the count of each cause. */
export function lossesLines(losses: readonly LossFacts[], drain: DrainEnd, log: readonly LogLine[]): string[] {
  if (losses.length === 0) return [];
  const causes = new Map<LossCause, number>();
  for (const facts of losses) causes.set(classifyLoss(facts), (causes.get(classifyLoss(facts)) ?? 0) + 1);
  const summary = [...causes].map(([cause, count]) => `${cause}=${count}`).join(' ');
  const lines = [`  lost by cause: ${summary}`, ...losses.slice(0, LOSSES_SHOWN).flatMap((facts) => lossLines(facts, drain, log))];
  if (losses.length > LOSSES_SHOWN) lines.push(`  ... and ${losses.length - LOSSES_SHOWN} more lost`);
  return lines;
}

/** The lines for every duplicate: the first {@link DUPLICATES_SHOWN} in full. */
export function duplicatesLines(duplicates: readonly DuplicateFacts[]): string[] {
  const lines = duplicates.slice(0, DUPLICATES_SHOWN).flatMap(duplicateLines);
  if (duplicates.length > DUPLICATES_SHOWN) lines.push(`  ... and ${duplicates.length - DUPLICATES_SHOWN} more duplicated`);
  return lines;
}
