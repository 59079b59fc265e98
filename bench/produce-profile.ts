/**
 * Where the produce handler's time goes: a CPU profile of the bench process while the handler,
 * called as Lambda calls it, sends 100-record requests one at a time to the run's broker. The
 * same V8 sampling profiler as `node --cpu-prof`, started and stopped through the inspector
 * around the requests only, so that neither the bench's set-up nor the other subjects are in it.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { ProduceRuntime } from '../lib/produce';
import { type CpuProfile, renderFlameGraph } from './flame-graph';
import { handlerSubject, sendChecked, type AnswerCheck } from './produce';
import { makeRecords } from './records';

/** The flame graph's file name, in the results folder. */
export const FLAME_GRAPH_FILE = 'produce-handler-flame.svg';

// Every 100 µs rather than V8's default 1 ms: a 100-record request takes a few milliseconds.
const SAMPLING_INTERVAL_US = 100;

/**
 * Profiles `requests` requests of `recordsPerRequest` records through `runtime` and writes the
 * flame graph to `folder`/{@link FLAME_GRAPH_FILE} (and the raw profile, for other viewers, to
 * `profileFolder`). Resolves with the milliseconds the requests took.
 */
export async function profileProduceHandler(
  runtime: ProduceRuntime,
  topic: string,
  options: { recordsPerRequest: number; requests: number; folder: string; profileFolder: string },
): Promise<number> {
  const subject = handlerSubject(runtime, topic);
  const prepared = Array.from({ length: options.requests }, (_, index) => subject.prepare(makeRecords(options.recordsPerRequest, `profile-${index}`)));
  for (const send of prepared.slice(0, 20)) await sendChecked(send);
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await session.post('Profiler.start');
    const startedMs = performance.now();
    const checks: (AnswerCheck | undefined)[] = [];
    for (const send of prepared.slice(20)) checks.push(await send());
    const elapsedMs = performance.now() - startedMs;
    const { profile } = await session.post('Profiler.stop');
    for (const check of checks) check?.();
    writeFileSync(join(options.profileFolder, 'produce-handler.cpuprofile'), JSON.stringify(profile));
    const measured = options.requests - 20;
    writeFileSync(
      join(options.folder, FLAME_GRAPH_FILE),
      renderFlameGraph(profile as unknown as CpuProfile, {
        title: `Produce handler, ${options.recordsPerRequest} records per request, acks=all to the bench's broker`,
        subtitle: `${measured} requests one at a time, ${(elapsedMs / measured).toFixed(2)} ms each; sampled every ${SAMPLING_INTERVAL_US} µs. Width: share of the time; (idle): waiting for the broker.`,
      }),
    );
    return elapsedMs;
  } finally {
    session.disconnect();
  }
}
