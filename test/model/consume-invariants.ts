/**
 * What must hold after every history of the consume model, checked against the plain model
 * ({@link EventSourceModel}) and the sink's contents. Pure: a list of broken promises, in words.
 */
import { MESSAGE_ID_REUSED } from '../../lib/consume/failure-reason';
import { payloadText, recordName, recordText, type LogRecord, type RecordFate } from './event-source-model';
import type { SinkWrite } from './model-sink';

/** What a history left behind. */
export interface ConsumeOutcome {
  log: readonly (readonly LogRecord[])[];
  fates: ReadonlyMap<string, RecordFate>;
  /** Each message's value in the sink, JSON text. */
  sink: ReadonlyMap<string, string>;
  writes: readonly SinkWrite[];
  /** Partitions the event source had not finished when the redeliveries ran out. */
  unfinished: readonly number[];
  /** Invocations (not crashed) that never answered, and handler errors. */
  stuck: readonly string[];
}

/** `a=2`, or `nothing`: what the sink holds for a message. */
function sinkText(sink: ReadonlyMap<string, string>, messageId: string): string {
  const value = sink.get(messageId);
  return value === undefined ? 'nothing' : `${messageId}=${JSON.parse(value).v}`;
}

/** (a) A record reported done has its effect in the sink with its own payload. */
function doneMeansApplied(outcome: ConsumeOutcome, record: LogRecord, fate: RecordFate): string[] {
  if (!fate.reportedDone || outcome.sink.get(record.messageId) === payloadText(record.value)) return [];
  return [`${recordText(record)} was reported done but the sink holds ${sinkText(outcome.sink, record.messageId)}`];
}

/** (b) No message is written twice, unless a write outlasted its claim (a limit the protocol states; see ./model-sink). */
function writtenOnce(outcome: ConsumeOutcome): string[] {
  const byMessage = new Map<string, SinkWrite[]>();
  for (const write of outcome.writes) byMessage.set(write.messageId, [...(byMessage.get(write.messageId) ?? []), write]);
  return [...byMessage]
    .filter(([, writes]) => writes.length > 1 && !writes.some(({ late }) => late))
    .map(
      ([messageId, writes]) =>
        `message ${messageId} was written ${writes.length} times (${writes.map(({ writer, value }) => `${writer}: ${value}`).join(', ')})`,
    );
}

/**
 * (c) A record dead-lettered as reused is not the one whose payload the sink holds. (The sink
 * may hold nothing: an attempt of the id's first payload may have failed before its write, and
 * the protocol, which cannot tell, keeps the id for that payload; every record involved then
 * fails visibly.)
 */
function reusedMeansAnother(outcome: ConsumeOutcome, record: LogRecord, fate: RecordFate): string[] {
  if (fate.deadLettered !== MESSAGE_ID_REUSED || outcome.sink.get(record.messageId) !== payloadText(record.value)) return [];
  return [`${recordText(record)} was dead-lettered as reused but the sink holds its own payload`];
}

/** (d) Once the faults healed, a record failed only as reused, and ended done or dead-lettered. */
function settledWhenHealed(record: LogRecord, fate: RecordFate): string[] {
  const broken = fate.failuresWhenHealed
    .filter((reason) => reason !== MESSAGE_ID_REUSED)
    .map((reason) => `${recordText(record)} failed after the faults healed: ${reason}`);
  if (!fate.reportedDone && fate.deadLettered === undefined) broken.push(`${recordText(record)} was never done nor dead-lettered`);
  return broken;
}

/** Every promise the history broke; empty when it kept them all. */
export function consumeViolations(outcome: ConsumeOutcome): string[] {
  const broken: string[] = [...outcome.stuck];
  for (const record of outcome.log.flat()) {
    const fate = outcome.fates.get(recordName(record)) as RecordFate;
    broken.push(...doneMeansApplied(outcome, record, fate), ...reusedMeansAnother(outcome, record, fate), ...settledWhenHealed(record, fate));
  }
  broken.push(...writtenOnce(outcome));
  if (outcome.unfinished.length > 0) broken.push(`partitions ${outcome.unfinished.join(', ')} unfinished when the redeliveries ran out`);
  return broken;
}
