/**
 * The end of a scenario fed over HTTP: wait for the consumer to bring every acknowledged
 * message to the sink, then account the topic and the sink against what was acknowledged.
 */
import { account, type Accounting } from './accounting';
import type { ChaosEnvironment } from './environment';
import { chaosMessage, readTopic } from './observe';
import { waitUntil, type ScenarioRecorder } from './scenario';

/**
 * Waits up to `timeoutMs` until each id in `acknowledged` has an effect in the sink (a
 * timeout is not an error: the accounting then shows what is missing), reads the event
 * topic, and records `on_topic`, `in_sink`, `lost`, `duplicated` and up to five lost ids.
 *
 * @throws Error when the environment has no broker.
 */
export async function drainAndAccount(
  env: ChaosEnvironment,
  recorder: ScenarioRecorder,
  acknowledged: readonly string[],
  timeoutMs: number,
): Promise<Accounting> {
  const broker = env.broker;
  if (broker === undefined) throw new Error('no broker');
  await waitUntil(
    'every acknowledged message in the sink',
    async () => {
      const have = new Set(await env.sinkEffects());
      return acknowledged.every((id) => have.has(id));
    },
    timeoutMs,
    250,
  ).catch(() => undefined);
  const topicIds = (await readTopic(broker.brokers, env.settings.topic))
    .map((record) => chaosMessage(record.value)?.id)
    .filter((id): id is string => id !== undefined);
  const result = account({ acknowledged, onTopic: topicIds, effects: await env.sinkEffects() });
  Object.assign(recorder.counts, { onTopic: result.onTopic, inSink: result.inSink, lost: result.lost, duplicated: result.duplicated });
  if (result.lostExamples.length > 0) recorder.details.lost_examples = result.lostExamples.join(',');
  return result;
}
