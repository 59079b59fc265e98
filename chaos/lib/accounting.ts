/**
 * Pure arithmetic of "lost" and "duplicated": compares what was acknowledged with what is
 * on the topic and in the sink. Identities are the scenario's own message ids, carried in
 * each message's value, so they survive any renaming the pipeline does.
 */

/** What a scenario observed, as message ids (repeats allowed where the source can repeat). */
export interface Observations {
  /** Ids of the messages the service acknowledged. */
  acknowledged: Iterable<string>;
  /** Ids read back from the topic, one per record (a client retry may have written a message twice). */
  onTopic: Iterable<string>;
  /** Ids of the effects in the sink, one per effect (sink item or processor call). */
  effects: Iterable<string>;
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
  /** Effects beyond the first, summed over ids. */
  duplicated: number;
  /** Records on the topic beyond the first per id: harmless copies the consumer must deduplicate. */
  topicCopies: number;
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

/** Works out lost and duplicated messages from the observations. */
export function account(observations: Observations): Accounting {
  const acknowledged = new Set(observations.acknowledged);
  const topic = tally(observations.onTopic);
  const effects = tally(observations.effects);
  let onTopic = 0;
  let inSink = 0;
  const lost: string[] = [];
  for (const id of acknowledged) {
    const onTheTopic = topic.has(id);
    const inTheSink = effects.has(id);
    if (onTheTopic) onTopic += 1;
    if (inTheSink) inSink += 1;
    if (!onTheTopic || !inTheSink) lost.push(id);
  }
  let duplicated = 0;
  const duplicatedIds: string[] = [];
  for (const [id, count] of effects) {
    if (count > 1) {
      duplicated += count - 1;
      duplicatedIds.push(id);
    }
  }
  let topicCopies = 0;
  for (const count of topic.values()) topicCopies += count - 1;
  return {
    acknowledged: acknowledged.size,
    onTopic,
    inSink,
    lost: lost.length,
    duplicated,
    topicCopies,
    lostExamples: lost.slice(0, 5),
    duplicatedExamples: duplicatedIds.slice(0, 5),
  };
}
