/**
 * The end of a scenario: wait until the pipeline has drained — every acknowledged message in
 * the sink and the consumer group committed past every record of the topic, so that nothing
 * is still on its way — rather than for a fixed time. The wait is bounded: it fails loudly
 * once nothing moved for a while (stalled) or after a limit, and the accounting then says
 * what is missing and why.
 */
import { account, type Accounting } from './accounting';
import type { ChaosEnvironment } from './environment';
import type { DrainEnd } from './diagnosis';
import { explainOutcome } from './explain';
import { chaosMessage, consumerPositions, lagOf, readTopic, type PartitionPosition } from './observe';
import type { ScenarioRecorder } from './scenario';

/** One look at how far the pipeline has got. */
export interface DrainSample {
  /** Acknowledged messages not in the sink yet. */
  missing: number;
  /** Records of the topic the consumer group has not committed past. */
  lag: number;
  /** What else the scenario still waits for (for example dead-letter records not there yet); 0 when nothing. */
  pending: number;
  /** The group's position on each partition, for the report. */
  positions?: readonly PartitionPosition[];
}

/** How long a drain may take: it fails once nothing moved for `stallMs`, or after `limitMs` in all. */
export interface DrainBound {
  stallMs: number;
  limitMs: number;
}

/** The bound of a scenario whose drain may go `stallMs` without anything moving, and three times that in all. */
export function drainBound(stallMs: number): DrainBound {
  return { stallMs, limitMs: 3 * stallMs };
}

/** Where a drain is. */
export type DrainState = { kind: 'drained' } | { kind: 'waiting' } | { kind: 'stalled'; forMs: number } | { kind: 'out-of-time'; afterMs: number };

/** Whether anything moved between two samples. */
export function moved(previous: DrainSample | undefined, current: DrainSample): boolean {
  return previous === undefined || previous.missing !== current.missing || previous.lag !== current.lag || previous.pending !== current.pending;
}

/**
 * Decides from the sample taken at `nowMs`, the time the figures last moved (`movedMs`) and the
 * start: drained when nothing is missing, lagging or pending; else stalled or out of time past
 * the bound; else waiting.
 */
export function drainState(sample: DrainSample, times: { startedMs: number; movedMs: number; nowMs: number }, bound: DrainBound): DrainState {
  if (sample.missing === 0 && sample.lag === 0 && sample.pending === 0) return { kind: 'drained' };
  if (times.nowMs - times.startedMs >= bound.limitMs) return { kind: 'out-of-time', afterMs: times.nowMs - times.startedMs };
  if (times.nowMs - times.movedMs >= bound.stallMs) return { kind: 'stalled', forMs: times.nowMs - times.movedMs };
  return { kind: 'waiting' };
}

/** How a drain ended. */
export interface DrainOutcome {
  state: Exclude<DrainState, { kind: 'waiting' }>;
  /** The last sample (all zero when drained). */
  sample: DrainSample;
  durationMs: number;
}

function positionsText(positions: readonly PartitionPosition[] | undefined): string {
  if (positions === undefined) return 'unknown';
  return positions.map(({ partition, high, committed }) => `${partition}:${committed}/${high}`).join(',');
}

/** The broken promise of a drain that did not finish, with what was still missing; undefined when it drained. */
export function drainFailure(outcome: DrainOutcome): string | undefined {
  const { state, sample } = outcome;
  if (state.kind === 'drained') return undefined;
  const how = state.kind === 'stalled' ? `nothing moved for ${Math.round(state.forMs / 1000)} s` : `still going after ${Math.round(state.afterMs / 1000)} s`;
  return `the pipeline drains within its bound (${how}: ${sample.missing} acknowledged messages not in the sink, lag ${sample.lag}, ${sample.pending} more awaited; committed/end by partition ${positionsText(sample.positions)})`;
}

/** The drain's end for the loss report. */
export function drainEnd(outcome: DrainOutcome): DrainEnd {
  if (outcome.state.kind === 'drained') return { drained: true };
  return { drained: false, why: outcome.state.kind === 'stalled' ? `stalled for ${outcome.state.forMs} ms` : `out of time after ${outcome.state.afterMs} ms` };
}

/**
 * Samples with `look` every `intervalMs` until the pipeline has drained or the bound is passed.
 * A look that fails (a broker restarting) counts as a sample where nothing moved.
 */
export async function waitForDrain(look: () => Promise<DrainSample>, bound: DrainBound, intervalMs = 250): Promise<DrainOutcome> {
  const startedMs = Date.now();
  let movedMs = startedMs;
  let last: DrainSample | undefined;
  for (;;) {
    const sample = await look().catch(() => last);
    const nowMs = Date.now();
    if (sample !== undefined && moved(last, sample)) movedMs = nowMs;
    last = sample ?? last;
    const state = drainState(last ?? { missing: Number.POSITIVE_INFINITY, lag: 0, pending: 0 }, { startedMs, movedMs, nowMs }, bound);
    if (state.kind !== 'waiting') return { state, sample: last ?? { missing: -1, lag: -1, pending: -1 }, durationMs: nowMs - startedMs };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A look at the pipeline of `env`: acknowledged ids not in the sink, and the consumer group's lag on the event topic. */
export function lookAtPipeline(
  env: ChaosEnvironment,
  acknowledged: readonly string[],
  pending: () => Promise<number> = async () => 0,
): () => Promise<DrainSample> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  return async () => {
    const have = new Set(await env.sinkEffects());
    const positions = await consumerPositions(broker.brokers, env.settings.consumerGroupId, env.settings.topic);
    return { missing: acknowledged.filter((id) => !have.has(id)).length, lag: lagOf(positions), pending: await pending(), positions };
  };
}

/**
 * Waits until the pipeline has drained within `bound` (a drain that does not is a broken
 * promise), reads the event topic, and records `on_topic`, `in_sink`, `lost`, `duplicated`,
 * `drain_ms` and the explanation of any loss or duplicate.
 *
 * @throws Error when the environment has no broker.
 */
export async function drainAndAccount(
  env: ChaosEnvironment,
  recorder: ScenarioRecorder,
  acknowledged: readonly string[],
  bound: DrainBound,
): Promise<Accounting> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  const drain = await waitForDrain(lookAtPipeline(env, acknowledged), bound);
  recorder.details.drain_ms = drain.durationMs;
  const failure = drainFailure(drain);
  if (failure !== undefined) recorder.expect(false, failure);
  const topicRecords = await readTopic(broker.brokers, env.settings.topic);
  const topicIds = topicRecords.map((record) => chaosMessage(record.value)?.id).filter((id): id is string => id !== undefined);
  const result = account({ acknowledged, onTopic: topicIds, sink: await env.sinkItems() });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  await explainOutcome(env, recorder, result, { topicRecords, drain: drainEnd(drain) });
  return result;
}
