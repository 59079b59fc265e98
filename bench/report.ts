/**
 * Turns a run's figures into ratios, goal verdicts, `results.json`, `RESULTS.md` and the
 * ratio chart. Pure functions apart from {@link writeReport}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColdStartFigure } from './cold-start';
import type { ConsumeFigure } from './consume';
import type { MachineDetails } from './machine';
import type { ProduceFigure } from './produce';
import type { StoreCalibration } from './store-calibration';
import { ratioChartSvg, type RatioBar } from './chart';
import { ratio, significant } from './stats';
import { SubjectName } from './subject-names';

/** End-to-end figure: HTTP POST to sink write through the local runtime. */
export interface EndToEndFigure {
  messages: number;
  recordsPerRequest: number;
  concurrentRequests: number;
  rounds: number;
  /** First POST sent to the last message found in the messages table, median over rounds. */
  messagesPerSec: number;
  elapsedMs: number;
  /** DynamoDB requests of the whole pipeline per message, the measurement's own reads left out. */
  dynamoRequestsPerMessage?: number;
  /** The pipeline's requests of the first round, by operation. */
  requestsByOperation?: Record<string, number>;
}

/** A goal of the issue and whether this run met it (null: not measured in this run). */
export interface GoalVerdict {
  goal: string;
  figure: string;
  met: boolean | null;
}

/** Everything one `npm run bench` measured. */
export interface BenchResults {
  generatedAt: string;
  durationSec: number;
  machine: MachineDetails;
  settings: Record<string, unknown>;
  produce: ProduceFigure[];
  /** The produce handler's own time per 100-record request with Kafka taken out (an instant producer). */
  produceHandlerCpuMsPer100?: number;
  consume: ConsumeFigure[];
  coldStart: ColdStartFigure[];
  endToEnd?: EndToEndFigure;
  /** The store's own speed in this run: the ceiling under every consume figure. */
  store?: StoreCalibration;
  /** Checks made along the way, for example that every new record was written once. */
  checks: string[];
  /** What could not be measured in this checkout, and why. */
  unavailable: string[];
  /** Profiling notes: what limits a figure that misses its goal. */
  findings: string[];
}

/** The consume subject measured against the Powertools baseline, the cold-start pairs. */
export const COLD_START_PAIRS = [
  { subject: 'produce function', baseline: 'minimal kafkajs produce (baseline)' },
  { subject: 'consume function', baseline: 'Powertools consume (baseline)' },
] as const;

/** 400 KB, in bytes, the bundle size goal (decimal kilobytes, the stricter reading). */
export const BUNDLE_LIMIT_BYTES = 400_000;

function produceFigure(results: BenchResults, subject: string, size: number): ProduceFigure | undefined {
  return results.produce.find((figure) => figure.subject === subject && figure.recordsPerRequest === size);
}

function consumeFigure(results: BenchResults, subject: string, shape: Pick<ConsumeFigure, 'batchSize' | 'partitions' | 'kind'>): ConsumeFigure | undefined {
  return results.consume.find(
    (figure) => figure.subject === subject && figure.batchSize === shape.batchSize && figure.partitions === shape.partitions && figure.kind === shape.kind,
  );
}

const fixed = (value: number | null | undefined, digits = 2): string => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));

/** Judges the run against the issue's goals. */
export function evaluateGoals(results: BenchResults): GoalVerdict[] {
  const verdicts: GoalVerdict[] = [];
  const handler = produceFigure(results, SubjectName.ProduceHandler, 100);
  const direct = produceFigure(results, SubjectName.KafkajsProducer, 100);
  const produceRatio = handler && direct ? ratio(handler.recordsPerSec, direct.recordsPerSec) : null;
  verdicts.push({
    goal: 'Produce at 100 records/request >= 0.8x direct kafkajs throughput',
    figure:
      produceRatio === null
        ? 'not measured'
        : `${fixed(produceRatio)}x (${Math.round(handler?.recordsPerSec ?? 0)} vs ${Math.round(direct?.recordsPerSec ?? 0)} records/s)`,
    met: produceRatio === null ? null : produceRatio >= 0.8,
  });

  const ours = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler);
  const newRatios = ours
    .filter((figure) => figure.kind === 'new')
    .map((figure) => {
      const baseline = consumeFigure(results, SubjectName.PowertoolsConsumer, figure);
      return { figure, value: baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec) };
    });
  const measuredRatios = newRatios.filter((entry): entry is { figure: ConsumeFigure; value: number } => entry.value !== null);
  const worst = measuredRatios.reduce<{ figure: ConsumeFigure; value: number } | undefined>(
    (lowest, entry) => (lowest === undefined || entry.value < lowest.value ? entry : lowest),
    undefined,
  );
  verdicts.push({
    goal: 'Consume of new records >= 3x the Powertools baseline records/s (every batch shape)',
    figure:
      worst === undefined
        ? 'not measured'
        : `lowest ${fixed(worst.value)}x (${worst.figure.batchSize} records over ${worst.figure.partitions} partition(s)); all: ${measuredRatios.map((entry) => `${fixed(entry.value)}x`).join(', ')}`,
    met: worst === undefined ? null : worst.value >= 3,
  });
  const maxRequests = (kind: string): number | undefined => {
    const values = ours.filter((figure) => figure.kind === kind).map((figure) => figure.dynamoRequestsPerRecord);
    return values.length === 0 ? undefined : Math.max(...values);
  };
  const newRequests = maxRequests('new');
  verdicts.push({
    goal: '<= 2 DynamoDB requests per new record',
    figure: newRequests === undefined ? 'not measured' : `at most ${fixed(newRequests, 3)} per record`,
    met: newRequests === undefined ? null : newRequests <= 2,
  });
  const duplicateRequests = maxRequests('duplicate');
  verdicts.push({
    goal: '<= 1 DynamoDB request per duplicate record',
    figure: duplicateRequests === undefined ? 'not measured' : `at most ${fixed(duplicateRequests, 3)} per record`,
    met: duplicateRequests === undefined ? null : duplicateRequests <= 1,
  });
  const functions = results.coldStart.filter((figure) => COLD_START_PAIRS.some((pair) => pair.subject === figure.name));
  verdicts.push({
    goal: 'Each function bundle < 400 KB minified (what a cold start loads, AWS SDK inside, as deployed)',
    figure:
      functions.length === 0
        ? 'not measured'
        : functions
            .map(
              (figure) =>
                `${figure.name} ${fixed(figure.coldLoadedBytes / 1000, 1)} KB (${fixed(figure.totalJsBytes / 1000, 1)} KB with the chunks only some configurations load)`,
            )
            .join('; '),
    met: functions.length < COLD_START_PAIRS.length ? null : functions.every((figure) => figure.coldLoadedBytes < BUNDLE_LIMIT_BYTES),
  });
  return verdicts;
}

/** Every ratio worth a bar in the chart. */
export function ratioBars(results: BenchResults): RatioBar[] {
  const bars: RatioBar[] = [];
  for (const figure of results.produce) {
    if (figure.subject === SubjectName.KafkajsProducer) continue;
    const baseline = produceFigure(results, SubjectName.KafkajsProducer, figure.recordsPerRequest);
    const value = baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec);
    if (value === null) continue;
    bars.push({
      label: `produce: ${figure.subject}, ${figure.recordsPerRequest}/request`,
      ratio: value,
      ...(figure.subject === SubjectName.ProduceHandler && figure.recordsPerRequest === 100 ? { goal: 0.8 } : {}),
    });
  }
  for (const figure of results.consume) {
    if (figure.subject !== SubjectName.ConsumeHandler) continue;
    const baseline = consumeFigure(results, SubjectName.PowertoolsConsumer, figure);
    const value = baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec);
    if (value === null) continue;
    bars.push({
      label: `consume: ${figure.batchSize} ${figure.kind}, ${figure.partitions} partition${figure.partitions === 1 ? '' : 's'}`,
      ratio: value,
      ...(figure.kind === 'new' ? { goal: 3 } : {}),
    });
  }
  for (const pair of COLD_START_PAIRS) {
    const subject = results.coldStart.find((figure) => figure.name === pair.subject);
    const baseline = results.coldStart.find((figure) => figure.name === pair.baseline);
    if (subject === undefined || baseline === undefined) continue;
    const value = ratio(subject.freshProcessToFirstInvocationMs, baseline.freshProcessToFirstInvocationMs);
    if (value !== null) bars.push({ label: `cold start time: ${pair.subject}`, ratio: value });
  }
  return bars;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const verdictText = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'MISSED');

/** Renders RESULTS.md. */
export function renderMarkdown(results: BenchResults, goals: readonly GoalVerdict[]): string {
  const { machine } = results;
  const sections: string[] = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` at ${results.generatedAt} in ${Math.round(results.durationSec)} s. Every figure is the median over rounds; every ratio is to a baseline measured in the same run on the same broker and store. The machine is shared, so compare ratios rather than absolute figures between runs.`,
    '',
    `Machine: ${machine.cpuCount} x ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, ${machine.platform} ${machine.arch}, load average ${machine.loadAverage1m} at start; Node.js ${machine.nodeVersion} (V8 ${machine.v8Version}). Kafka ${machine.kafkaStartedByBench ? 'started by the bench' : `reused at ${machine.kafkaBrokers}`}; DynamoDB-compatible store: ${machine.dynamoStartedByBench ? 'dynalite started by the bench in a child process, requests counted on its own server' : 'the one at DYNAMODB_ENDPOINT, requests counted by a proxy in a child process'}.`,
    '',
    '## Goals',
    '',
    table(
      ['goal', 'this run', 'verdict'],
      goals.map((goal) => [goal.goal, goal.figure, verdictText(goal.met)]),
    ),
    '',
    '![ratios to baselines](results.svg)',
    '',
    '## Produce',
    '',
    "Requests are sent one at a time (as one Lambda invocation at a time would), each carrying the same JSON records with a `message-id` header. Throughput is records acknowledged with acks=-1 per second; latency is per request. The produce handler is called in the bench process as Lambda calls it; the local HTTP server is `npm start`'s, in its own process, over a kept-alive loopback connection from a node:http client (global fetch would add its own 0.5-0.8 ms per request, the client's cost rather than the server's: bench/http-probe.ts); the baseline is a plain kafkajs producer sending the same records.",
    '',
  ];
  if (results.produce.length > 0) {
    sections.push(
      table(
        ['records/request', 'subject', 'records/s', 'x baseline', 'p50 ms', 'p99 ms', 'requests x rounds'],
        results.produce.map((figure) => {
          const baseline = produceFigure(results, SubjectName.KafkajsProducer, figure.recordsPerRequest);
          return [
            String(figure.recordsPerRequest),
            figure.subject,
            String(Math.round(figure.recordsPerSec)),
            fixed(baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec)),
            fixed(figure.p50Ms),
            fixed(figure.p99Ms),
            `${figure.requestsPerRound} x ${figure.rounds}`,
          ];
        }),
      ),
      '',
    );
  }
  if (results.produceHandlerCpuMsPer100 !== undefined) {
    sections.push(
      `With Kafka taken out (a producer that acknowledges at once), the produce handler takes ${fixed(results.produceHandlerCpuMsPer100, 3)} ms per 100-record request: its own parsing, validation, value serialisation and response.`,
      '',
    );
  }
  sections.push(
    '## Consume',
    '',
    "The same MSK events go to the consume handler and to the baseline: Powertools for AWS Lambda's `makeIdempotent` with its DynamoDB persistence layer around a per-record function (parse the JSON value, put it into the messages table), in a sequential in-order loop. Each new batch is followed by the same event again (fully duplicate). DynamoDB requests are counted at the store.",
    '',
  );
  if (results.consume.length > 0) {
    sections.push(
      table(
        ['batch', 'partitions', 'kind', 'subject', 'records/s', 'x baseline', 'DynamoDB requests/record', 'requests of one batch'],
        results.consume.map((figure) => {
          const baseline = consumeFigure(results, SubjectName.PowertoolsConsumer, figure);
          return [
            String(figure.batchSize),
            String(figure.partitions),
            figure.kind,
            figure.subject,
            String(Math.round(figure.recordsPerSec)),
            fixed(baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec)),
            fixed(figure.dynamoRequestsPerRecord, 3),
            Object.entries(figure.requestsByOperation)
              .map(([operation, count]) => `${operation} ${count}`)
              .join(', '),
          ];
        }),
      ),
      '',
      'dynalite cannot return the existing item with a failed conditional write (`ReturnValuesOnConditionCheckFailure`), so on it the baseline reads every duplicate back with a GetItem; on DynamoDB that read is not needed and the baseline makes 1 request per duplicate.',
      '',
    );
  }
  sections.push(
    '## Cold start',
    '',
    'Our functions are bundled by the deploy step (scripts/package-bundles.ts: esbuild, ESM, minified, node24, the AWS SDK inside, code only some configurations need split into lazily loaded chunks); the baselines with the same options. "Loaded at cold start" is `index.mjs` plus the chunks it imports statically. Each bundle is started in a fresh Node.js process with its configuration in the environment; the time runs from spawning the process to the first invocation\'s result (the first invocation opens its connections). 1 KB = 1,000 bytes.',
    '',
  );
  if (results.coldStart.length > 0) {
    sections.push(
      table(
        ['bundle', 'KB loaded at cold start', 'KB all chunks', 'spawn to first result ms', 'of which load ms', 'first invocation ms'],
        results.coldStart.map((figure) => [
          figure.name,
          fixed(figure.coldLoadedBytes / 1000, 1),
          fixed(figure.totalJsBytes / 1000, 1),
          fixed(figure.freshProcessToFirstInvocationMs, 0),
          fixed(figure.loadMs, 0),
          fixed(figure.firstInvocationMs, 0),
        ]),
      ),
      '',
    );
  }
  sections.push('## End to end', '');
  if (results.endToEnd === undefined) sections.push('Not measured in this run (see below).', '');
  else {
    const e2e = results.endToEnd;
    sections.push(
      `${e2e.messages} messages POSTed to the local runtime in requests of ${e2e.recordsPerRequest}, ${e2e.concurrentRequests} at a time, until every one was in the messages table: **${Math.round(e2e.messagesPerSec)} messages/s** (${fixed(e2e.elapsedMs, 0)} ms, median of ${e2e.rounds} rounds).` +
        (e2e.dynamoRequestsPerMessage === undefined
          ? ''
          : ` The pipeline made ${fixed(e2e.dynamoRequestsPerMessage, 3)} DynamoDB requests per message (${Object.entries(e2e.requestsByOperation ?? {})
              .map(([operation, count]) => `${operation} ${count}`)
              .join(', ')} in the first round).`),
      '',
    );
  }
  if (results.store !== undefined) {
    sections.push(
      '## The store itself',
      '',
      `dynalite in this run: ${fixed(results.store.sequentialPutMs)} ms per PutItem one at a time (median), ${Math.round(results.store.concurrentPutsPerSec)} PutItems/s with ${results.store.concurrency} in flight, ${Math.round(results.store.batchedItemsPerSec)} items/s written by BatchWriteItem requests of 25. Real DynamoDB answers in single-digit milliseconds per request but scales out, so on AWS concurrency pays off more than here.`,
      '',
    );
  }
  if (results.findings.length > 0) sections.push('## What limits the figures', '', ...results.findings.map((line) => `- ${line}`), '');
  if (results.checks.length > 0) sections.push('## Checks', '', ...results.checks.map((line) => `- ${line}`), '');
  if (results.unavailable.length > 0) sections.push('## Not measured', '', ...results.unavailable.map((line) => `- ${line}`), '');
  return `${sections.join('\n').trimEnd()}\n`;
}

/** Writes `results.json`, `RESULTS.md` and `results.svg` into `folder`. */
export function writeReport(folder: string, results: BenchResults): GoalVerdict[] {
  const goals = evaluateGoals(results);
  writeFileSync(
    join(folder, 'results.json'),
    `${JSON.stringify({ ...results, goals }, (_, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? significant(value, 6) : value), 2)}\n`,
  );
  writeFileSync(join(folder, 'RESULTS.md'), renderMarkdown(results, goals));
  writeFileSync(join(folder, 'results.svg'), ratioChartSvg('Ratios to the baselines measured in the same run', ratioBars(results)));
  return goals;
}
