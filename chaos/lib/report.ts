/**
 * What a chaos scenario reports: the figures the issue asks for, the promises it found
 * broken, and the one summary line per scenario that `npm run chaos` prints.
 */

/** The counts every scenario reports; fields a scenario does not exercise stay 0. */
export interface ScenarioCounts {
  /** Messages (or requests, for garbage input) the scenario sent. */
  sent: number;
  /** Messages the service acknowledged (HTTP 200, or written to the topic by the scenario itself). */
  acknowledged: number;
  /** Acknowledged messages found on the topic, each counted once. */
  onTopic: number;
  /** Acknowledged messages whose effect is in the sink, each counted once. */
  inSink: number;
  /** Acknowledged messages missing from the topic or the sink. Must be 0. */
  lost: number;
  /** Effects applied more than once (extra sink items or extra processor calls for one message). Must be 0. */
  duplicated: number;
  /** Attempts beyond the first: client retries, or redeliveries of failed records. */
  retries: number;
  /** Records moved to the dead-letter topic. */
  deadLettered: number;
}

/** What a model-based run reports instead of message counts. */
export interface ModelFigures {
  /** Generated histories run against the code. */
  histories: number;
  /** Histories that broke a promise (each printed shrunk under `broken:`). Must be 0. */
  counterexamples: number;
}

/** The outcome of one scenario. */
export interface ScenarioReport {
  scenario: string;
  counts: ScenarioCounts;
  /** Set by a model-based run (no messages flow): its summary line gives these figures instead of the counts. */
  model?: ModelFigures;
  /** Each promise the scenario found broken, in words; empty means PASS. */
  broken: string[];
  /** Extra figures worth reading (restarts, kills, status histogram...), printed on a second line. */
  details: Record<string, string | number>;
  /** Indented lines explaining each loss and duplicate (see `./diagnosis`), printed last. */
  diagnosis?: string[];
  durationMs: number;
}

/** Counts with every figure at 0. */
export function zeroCounts(): ScenarioCounts {
  return { sent: 0, acknowledged: 0, onTopic: 0, inSink: 0, lost: 0, duplicated: 0, retries: 0, deadLettered: 0 };
}

/** True when the scenario kept every promise. */
export function passed(report: ScenarioReport): boolean {
  return report.broken.length === 0 && report.counts.lost === 0 && report.counts.duplicated === 0 && (report.model?.counterexamples ?? 0) === 0;
}

/**
 * The summary line, for example
 * `scenario=acked-means-durable sent=5000 acknowledged=5000 on_topic=5000 in_sink=5000 lost=0 duplicated=0 retries=123 dead_lettered=0 result=PASS`,
 * or for a model-based run `scenario=protocol-model histories=200000 counterexamples=0 result=PASS`.
 */
export function summaryLine(report: ScenarioReport): string {
  const result = `result=${passed(report) ? 'PASS' : 'FAIL'}`;
  if (report.model !== undefined) {
    return [`scenario=${report.scenario}`, `histories=${report.model.histories}`, `counterexamples=${report.model.counterexamples}`, result].join(' ');
  }
  const c = report.counts;
  return [
    `scenario=${report.scenario}`,
    `sent=${c.sent}`,
    `acknowledged=${c.acknowledged}`,
    `on_topic=${c.onTopic}`,
    `in_sink=${c.inSink}`,
    `lost=${c.lost}`,
    `duplicated=${c.duplicated}`,
    `retries=${c.retries}`,
    `dead_lettered=${c.deadLettered}`,
    result,
  ].join(' ');
}

/** The indented lines under a summary line: duration, details, each broken promise, then the explanation of losses and duplicates. */
export function detailLines(report: ScenarioReport): string[] {
  const details = Object.entries({ duration_ms: report.durationMs, ...report.details }).map(([name, value]) => `${name}=${value}`);
  return [`  ${details.join(' ')}`, ...report.broken.map((promise) => `  broken: ${promise}`), ...(report.diagnosis ?? [])];
}

/** The process exit code for a run: 0 only when every scenario passed. */
export function exitCode(reports: readonly ScenarioReport[]): number {
  return reports.length > 0 && reports.every(passed) ? 0 : 1;
}

/** Where and when a run happened, for the results file. */
export interface RunInfo {
  /** ISO 8601. */
  generatedAt: string;
  durationMs: number;
  /** For example `2 x AMD EPYC, 23.5 GiB, Linux 6.1 x64, Node.js 24.21.0`. */
  machine: string;
  /** The command line's options, for example `--seed=8`. */
  options: string;
}

/** What "kept every promise" meant for `reports`: the figures that were 0. */
function promisesKept(reports: readonly ScenarioReport[]): string {
  return reports.some(({ model }) => model !== undefined)
    ? 'lost=0 and duplicated=0 in each pipeline scenario, counterexamples=0 in each model run'
    : 'lost=0 and duplicated=0 in each';
}

/**
 * The full run's section of `chaos/RESULTS.md` (see `./results-file`): the verdict, then each
 * scenario's summary and detail lines as printed. Written by every full `npm run chaos`, so
 * the figures in it are always those of the last full run.
 */
export function resultsMarkdown(reports: readonly ScenarioReport[], run: RunInfo): string {
  const failed = reports.filter((report) => !passed(report)).map((report) => report.scenario);
  const verdict =
    failed.length === 0
      ? `**${reports.length}/${reports.length} scenarios kept every promise** (${promisesKept(reports)}).`
      : `**${reports.length - failed.length}/${reports.length} scenarios kept every promise; broken: ${failed.join(', ')}.**`;
  return [
    `Generated by \`npm run chaos\` at ${run.generatedAt} in ${Math.round(run.durationMs / 1000)} s (${run.options || 'no options'}). Machine: ${run.machine}.`,
    '',
    verdict,
    '',
    '```',
    ...reports.flatMap((report) => [summaryLine(report), ...detailLines(report)]),
    '```',
    '',
  ].join('\n');
}
