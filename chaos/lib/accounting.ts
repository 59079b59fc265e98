/**
 * Pure arithmetic of "lost" and "duplicated": compares what was acknowledged with what is
 * on the topic and in the sink. Identities are the scenario's own message ids, carried in
 * each message's value, so they survive any renaming the pipeline does.
 *
 * A duplicated effect is a message applied twice: a sink item the store accepted more than
 * one write of (the consumer wrote the same message again), or more sink items carrying one
 * id than the topic holds records of it (the consumer wrote one record under two identities).
 * A record the topic holds twice is not a duplicate by itself: without a `message-id` header
 * each copy is a message of its own for the consumer (`<topic>-<partition>-<offset>`), so each
 * copy may have its item; copies are counted apart, as `topicCopies`.
 */

/** One item of the sink, as the checks see it from the outside. */
export interface SinkItem {
  /** The chaos message id its value carries. */
  id: string;
  /** The item's key: the message identity the consumer applied it under. */
  messageId: string;
  callerId?: string;
  topic?: string;
  partition?: number;
  offset?: number;
  /** When the consumer wrote it (the last accepted write's), ISO 8601. */
  processedAt?: string;
  /** Writes of the item the store accepted; at least 1, since the item is there. */
  writes: number;
}

/** What a scenario observed. */
export interface Observations {
  /** Ids of the messages the service acknowledged. */
  acknowledged: Iterable<string>;
  /** Ids read back from the topic, one per record (a client retry may have written a message twice). */
  onTopic: Iterable<string>;
  /** The sink's items. */
  sink: Iterable<SinkItem>;
}

/** The derived figures. */
export interface Accounting {
  acknowledged: number;
  /** Acknowledged ids present on the topic. */
  onTopic: number;
  /** Acknowledged ids with at least one effect. */
  inSink: number;
  /** Acknowledged ids missing from the topic or without effect. */
  lost: number;
  /** Effects beyond the one each record allows, summed over ids (see the module comment). */
  duplicated: number;
  /** Records on the topic beyond the first per id: copies, each a message of its own unless they share a `message-id`. */
  topicCopies: number;
  /** Every lost id, in acknowledgement order. */
  lostIds: string[];
  /** Every id with a duplicated effect. */
  duplicatedIds: string[];
  /** Up to five lost ids, for the report. */
  lostExamples: string[];
  /** Up to five duplicated ids, for the report. */
  duplicatedExamples: string[];
}

function tally(ids: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Per id, the effects beyond those its records allow: repeated writes of an item, and items beyond the records. */
function extraEffects(sink: Iterable<SinkItem>, records: ReadonlyMap<string, number>): Map<string, number> {
  const items = new Map<string, number>();
  const extra = new Map<string, number>();
  for (const item of sink) {
    items.set(item.id, (items.get(item.id) ?? 0) + 1);
    if (item.writes > 1) extra.set(item.id, (extra.get(item.id) ?? 0) + item.writes - 1);
  }
  for (const [id, count] of items) {
    // An id the topic was not read for (or never held) allows one item.
    const beyond = count - Math.max(1, records.get(id) ?? 0);
    if (beyond > 0) extra.set(id, (extra.get(id) ?? 0) + beyond);
  }
  return extra;
}

/** Works out lost and duplicated messages from the observations. */
export function account(observations: Observations): Accounting {
  const acknowledged = new Set(observations.acknowledged);
  const topic = tally(observations.onTopic);
  const sink = [...observations.sink];
  const withEffect = new Set(sink.map((item) => item.id));
  let onTopic = 0;
  let inSink = 0;
  const lost: string[] = [];
  for (const id of acknowledged) {
    const onTheTopic = topic.has(id);
    const inTheSink = withEffect.has(id);
    if (onTheTopic) onTopic += 1;
    if (inTheSink) inSink += 1;
    if (!onTheTopic || !inTheSink) lost.push(id);
  }
  const extra = extraEffects(sink, topic);
  let duplicated = 0;
  for (const count of extra.values()) duplicated += count;
  const duplicatedIds = [...extra.keys()];
  let topicCopies = 0;
  for (const count of topic.values()) topicCopies += count - 1;
  return {
    acknowledged: acknowledged.size,
    onTopic,
    inSink,
    lost: lost.length,
    duplicated,
    topicCopies,
    lostIds: lost,
    duplicatedIds,
    lostExamples: lost.slice(0, 5),
    duplicatedExamples: duplicatedIds.slice(0, 5),
  };
}
