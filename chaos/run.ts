/**
 * `npm run chaos`: runs the fault-injection scenarios at full size against their own broker,
 * store and pipeline processes, prints one summary line per scenario (with details under
 * it), and exits non-zero when any promise was broken.
 *
 * Options: `--only=name,name` runs some scenarios; `--short` uses the sizes of the
 * `npm test` version; `--seed=N` changes the generated garbage and histories. A run of every scenario at
 * full size writes `chaos/RESULTS.md`; other runs write `chaos/.tmp/RESULTS.md`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/logger';
import { createProgress } from '../local/progress';
import { detailLines, exitCode, passed, resultsMarkdown, summaryLine, type ScenarioCounts, type ScenarioReport } from './lib/report';
import type { ScenarioOptions, ScenarioRecorder } from './lib/scenario';
import { ACKED_MEANS_DURABLE_FULL, ACKED_MEANS_DURABLE_SHORT, runAckedMeansDurable } from './scenarios/acked-means-durable';
import { CONSUMER_CRASH_FULL, CONSUMER_CRASH_SHORT, runConsumerCrash } from './scenarios/consumer-crash';
import { CONCURRENT_REDELIVERY_FULL, CONCURRENT_REDELIVERY_SHORT, runConcurrentRedelivery } from './scenarios/concurrent-redelivery';
import { POISON_RECORD_FULL, POISON_RECORD_SHORT, runPoisonRecord } from './scenarios/poison-record';
import { STORE_OUTAGE_FULL, STORE_OUTAGE_SHORT, runStoreOutage } from './scenarios/store-outage';
import { GARBAGE_INPUT_FULL, GARBAGE_INPUT_SHORT, runGarbageInput } from './scenarios/garbage-input';
import { PROTOCOL_MODEL_FULL, PROTOCOL_MODEL_SHORT, runProtocolModel } from './scenarios/protocol-model';

interface Entry {
  name: string;
  run(options: Omit<ScenarioOptions<never>, 'size'>, short: boolean): Promise<ScenarioReport>;
}

function entry<Size>(name: string, run: (options: ScenarioOptions<Size>) => Promise<ScenarioReport>, full: Size, short: Size): Entry {
  return { name, run: (options, isShort) => run({ ...options, size: isShort ? short : full }) };
}

const SCENARIOS: readonly Entry[] = [
  entry('acked-means-durable', runAckedMeansDurable, ACKED_MEANS_DURABLE_FULL, ACKED_MEANS_DURABLE_SHORT),
  entry('consumer-crash', runConsumerCrash, CONSUMER_CRASH_FULL, CONSUMER_CRASH_SHORT),
  entry('concurrent-redelivery', runConcurrentRedelivery, CONCURRENT_REDELIVERY_FULL, CONCURRENT_REDELIVERY_SHORT),
  entry('poison-record', runPoisonRecord, POISON_RECORD_FULL, POISON_RECORD_SHORT),
  entry('store-outage', runStoreOutage, STORE_OUTAGE_FULL, STORE_OUTAGE_SHORT),
  entry('garbage-input', runGarbageInput, GARBAGE_INPUT_FULL, GARBAGE_INPUT_SHORT),
  entry('protocol-model', runProtocolModel, PROTOCOL_MODEL_FULL, PROTOCOL_MODEL_SHORT),
];

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function machineLine(): string {
  const cpus = os.cpus();
  const memoryGiB = Math.round((os.totalmem() / 1024 ** 3) * 10) / 10;
  return `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${memoryGiB} GiB, ${os.type()} ${os.release()} ${os.arch()}, Node.js ${process.versions.node}`;
}

/** Writes the results file: the committed one only for a run of every scenario at full size. */
async function writeResults(reports: readonly ScenarioReport[], { startedMs, full }: { startedMs: number; full: boolean }): Promise<void> {
  const dir = join(import.meta.dirname, full ? '.' : '.tmp');
  await mkdir(dir, { recursive: true });
  const options = process.argv.slice(2).join(' ');
  const path = join(dir, 'RESULTS.md');
  await writeFile(
    path,
    resultsMarkdown(reports, { generatedAt: new Date().toISOString(), durationMs: Date.now() - startedMs, machine: machineLine(), options }),
  );
  process.stderr.write(`chaos: wrote ${full ? 'chaos/RESULTS.md' : 'chaos/.tmp/RESULTS.md'}\n`);
}

/** A running scenario's counts, for its progress line. */
function countsText({ sent, acknowledged, inSink, retries }: ScenarioCounts): string {
  return `sent ${sent}, acknowledged ${acknowledged}, in sink ${inSink}, retries ${retries}`;
}

async function main(): Promise<number> {
  const only = argument('only')?.split(',');
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const startedMs = Date.now();
  const short = process.argv.includes('--short');
  const seed = Number(argument('seed') ?? 8);
  // Infrastructure logs go to stderr, and only warnings: stdout is the summary.
  const logger = createLogger('warn', (line) => process.stderr.write(`${line}\n`));
  const reports: ScenarioReport[] = [];
  const chosen = SCENARIOS.filter((s) => only === undefined || only.includes(s.name));
  const progress = createProgress({ label: 'chaos', steps: chosen.length });
  let running: ScenarioRecorder | undefined;
  // The counts move inside the scenario; the progress line takes them as it is written.
  const counts = setInterval(() => {
    if (running !== undefined) progress.detail(countsText(running.counts));
  }, 1_000);
  counts.unref();
  for (const scenario of chosen) {
    progress.step(scenario.name);
    const report = await scenario.run({ logger, seed, watch: (recorder) => (running = recorder) }, short);
    running = undefined;
    reports.push(report);
    process.stdout.write(`${summaryLine(report)}\n${detailLines(report).join('\n')}\n`);
  }
  clearInterval(counts);
  progress.finish();
  await writeResults(reports, { startedMs, full: only === undefined && !short });
  const failed = reports.filter((report) => !passed(report)).map((report) => report.scenario);
  process.stdout.write(
    `chaos: ${reports.length - failed.length}/${reports.length} scenarios kept every promise${failed.length > 0 ? `; broken: ${failed.join(', ')}` : ''}\n`,
  );
  return exitCode(reports);
}

// Clients of the finished scenarios may keep sockets open; the verdict is in, so leave.
process.exit(await main());
