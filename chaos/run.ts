/**
 * `npm run chaos`: runs the fault-injection scenarios at full size against their own broker,
 * store and pipeline processes, prints one summary line per scenario (with details under
 * it, and the explanation of any loss or duplicate), and exits non-zero when any promise was
 * broken.
 *
 * Options: `--only=name,name` runs some scenarios; `--short` uses the sizes of the
 * `npm test` version; `--seed=N` changes the generated garbage and histories. `--repeat=N` runs the chosen
 * scenarios N times, printing a line per run and the aggregate; with `--under-load` it keeps
 * the CPU busy meanwhile (`--load-threads=N` busy threads, 4 per core by default).
 *
 * Results: a single pass of every scenario at full size writes the full-run section of
 * `chaos/RESULTS.md`, and a repeated run under load of at least 50 runs its repeated-run
 * section (each kind keeps the other's); other runs write `chaos/.tmp/RESULTS.md` or
 * `chaos/.tmp/RESULTS-repeat.md`, so that trying things never replaces the evidence.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../lib/logger';
import { createProgress, type Progress } from '../local/progress';
import { loadAverage, startCpuLoad } from './lib/cpu-load';
import { CHAOS_USAGE, parseChaosArguments, type ChaosOptions } from './lib/options';
import { aggregate, aggregateLines, repeatMarkdown, repeatRunLine, type RepeatRun } from './lib/repeat';
import { detailLines, exitCode, passed, resultsMarkdown, summaryLine, type ScenarioCounts, type ScenarioReport } from './lib/report';
import { resultsSectionOf, ResultsSection, withSection } from './lib/results-file';
import type { ScenarioOptions, ScenarioRecorder } from './lib/scenario';
import { ACKED_MEANS_DURABLE_FULL, ACKED_MEANS_DURABLE_SHORT, runAckedMeansDurable } from './scenarios/acked-means-durable';
import { CONSUMER_CRASH_FULL, CONSUMER_CRASH_SHORT, runConsumerCrash } from './scenarios/consumer-crash';
import { CONCURRENT_REDELIVERY_FULL, CONCURRENT_REDELIVERY_SHORT, runConcurrentRedelivery } from './scenarios/concurrent-redelivery';
import { POISON_RECORD_FULL, POISON_RECORD_SHORT, runPoisonRecord } from './scenarios/poison-record';
import { STORE_OUTAGE_FULL, STORE_OUTAGE_SHORT, runStoreOutage } from './scenarios/store-outage';
import { GARBAGE_INPUT_FULL, GARBAGE_INPUT_SHORT, runGarbageInput } from './scenarios/garbage-input';
import { PROTOCOL_MODEL_FULL, PROTOCOL_MODEL_SHORT, runProtocolModel } from './scenarios/protocol-model';
import { EVENT_SOURCE_SETTINGS_FULL, EVENT_SOURCE_SETTINGS_SHORT, runEventSourceSettings } from './scenarios/event-source-settings';
import { runSchemaRegistryRestart, SCHEMA_REGISTRY_RESTART_FULL, SCHEMA_REGISTRY_RESTART_SHORT } from './scenarios/schema-registry-restart';

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
  entry('event-source-settings', runEventSourceSettings, EVENT_SOURCE_SETTINGS_FULL, EVENT_SOURCE_SETTINGS_SHORT),
  entry('schema-registry-restart', runSchemaRegistryRestart, SCHEMA_REGISTRY_RESTART_FULL, SCHEMA_REGISTRY_RESTART_SHORT),
];

function machineLine(): string {
  const cpus = os.cpus();
  const memoryGiB = Math.round((os.totalmem() / 1024 ** 3) * 10) / 10;
  return `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${memoryGiB} GiB, ${os.type()} ${os.release()} ${os.arch()}, Node.js ${process.versions.node}`;
}

const CHAOS_DIR = import.meta.dirname;

/** Writes `body` as `section` of the committed results file, keeping its other sections. */
async function writeCommittedSection(section: ResultsSection, body: string): Promise<void> {
  const path = join(CHAOS_DIR, 'RESULTS.md');
  const existing = await readFile(path, 'utf8').catch(() => '');
  await writeFile(path, withSection(existing, section, body));
  process.stderr.write('chaos: wrote chaos/RESULTS.md\n');
}

/** Writes `body` as `section` of a results file of its own in `chaos/.tmp/`. */
async function writeScratchResults(name: string, section: ResultsSection, body: string): Promise<void> {
  const dir = join(CHAOS_DIR, '.tmp');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), withSection('', section, body));
  process.stderr.write(`chaos: wrote chaos/.tmp/${name}\n`);
}

/** A running scenario's counts, for its progress line. */
function countsText({ sent, acknowledged, inSink, retries }: ScenarioCounts): string {
  return `sent ${sent}, acknowledged ${acknowledged}, in sink ${inSink}, retries ${retries}`;
}

/** Runs `scenario` once, its counts shown on the progress line while it runs. */
async function runScenario(scenario: Entry, options: ChaosOptions, logger: Logger, progress: Progress): Promise<ScenarioReport> {
  let running: ScenarioRecorder | undefined;
  // The counts move inside the scenario; the progress line takes them as it is written.
  const counts = setInterval(() => {
    if (running !== undefined) progress.detail(countsText(running.counts));
  }, 1_000);
  counts.unref();
  try {
    return await scenario.run({ logger, seed: options.seed, secure: options.secure, watch: (recorder) => (running = recorder) }, options.short);
  } finally {
    clearInterval(counts);
  }
}

/** One pass over the chosen scenarios: the classic `npm run chaos`. */
async function runOnce(chosen: readonly Entry[], options: ChaosOptions, logger: Logger): Promise<number> {
  const startedMs = Date.now();
  const reports: ScenarioReport[] = [];
  const progress = createProgress({ label: 'chaos', steps: chosen.length });
  for (const scenario of chosen) {
    progress.step(scenario.name);
    const report = await runScenario(scenario, options, logger, progress);
    reports.push(report);
    process.stdout.write(`${summaryLine(report)}\n${detailLines(report).join('\n')}\n`);
  }
  progress.finish();
  const body = resultsMarkdown(reports, {
    generatedAt: new Date().toISOString(),
    durationMs: Date.now() - startedMs,
    machine: machineLine(),
    options: process.argv.slice(2).join(' '),
  });
  const section = resultsSectionOf(options, chosen.length, SCENARIOS.length);
  if (section === undefined) await writeScratchResults('RESULTS.md', ResultsSection.FullRun, body);
  else await writeCommittedSection(section, body);
  const failed = reports.filter((report) => !passed(report)).map((report) => report.scenario);
  process.stdout.write(
    `chaos: ${reports.length - failed.length}/${reports.length} scenarios kept every promise${failed.length > 0 ? `; broken: ${failed.join(', ')}` : ''}\n`,
  );
  return exitCode(reports);
}

/**
 * `--repeat=N`: the chosen scenarios N times, under load when asked. Each run's summary line
 * (with its details when it failed) is printed as it ends and its figures are written to
 * `chaos/.tmp/RESULTS-repeat.md` at once, so an interrupted run keeps what it found; the
 * load always stops, whatever happens to the runs.
 */
async function runRepeated(chosen: readonly Entry[], options: ChaosOptions & { repeat: number }, logger: Logger): Promise<number> {
  const startedMs = Date.now();
  const loadBefore = loadAverage();
  const threads = options.underLoad ? options.loadThreads : undefined;
  const runs: RepeatRun[] = [];
  const progress = createProgress({ label: 'chaos', steps: options.repeat * chosen.length });
  const body = (): string =>
    repeatMarkdown(runs, {
      generatedAt: new Date().toISOString(),
      durationMs: Date.now() - startedMs,
      machine: machineLine(),
      options: process.argv.slice(2).join(' '),
      loadBefore,
      ...(threads === undefined ? {} : { threads }),
    });
  const load = threads === undefined ? undefined : startCpuLoad({ threads });
  try {
    for (let run = 1; run <= options.repeat; run += 1) {
      for (const scenario of chosen) {
        progress.step(`${scenario.name} (run ${run}/${options.repeat})`);
        const report = await runScenario(scenario, options, logger, progress);
        const entry: RepeatRun = { run, report, loadAverage: loadAverage() };
        runs.push(entry);
        process.stdout.write(`${[repeatRunLine(entry, options.repeat), ...(passed(report) ? [] : detailLines(report))].join('\n')}\n`);
        await writeScratchResults('RESULTS-repeat.md', ResultsSection.RepeatUnderLoad, body());
      }
    }
  } finally {
    await load?.stop();
    progress.finish();
  }
  const section = resultsSectionOf(options, chosen.length, SCENARIOS.length);
  if (section !== undefined) await writeCommittedSection(section, body());
  process.stdout.write(`${aggregateLines(aggregate(runs), threads).join('\n')}\n`);
  return exitCode(runs.map(({ report }) => report));
}

async function main(): Promise<number> {
  const options = parseChaosArguments(process.argv.slice(2), os.cpus().length);
  if ('error' in options) {
    process.stderr.write(`${options.error}\n${CHAOS_USAGE}\n`);
    return 2;
  }
  const unknown = options.only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  // Infrastructure logs go to stderr, and only warnings: stdout is the summary.
  const logger = createLogger('warn', (line) => process.stderr.write(`${line}\n`));
  const chosen = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.name));
  const { repeat } = options;
  return repeat === undefined ? runOnce(chosen, options, logger) : runRepeated(chosen, { ...options, repeat }, logger);
}

// Clients of the finished scenarios may keep sockets open; the verdict is in, so leave.
process.exit(await main());
