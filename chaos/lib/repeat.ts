/**
 * A repeated run (`npm run chaos -- --repeat=N`, usually `--under-load`): one line per run,
 * the aggregate, and the results section with a row per run and every failed run's report.
 * A failure that shows once in fifty runs under load is found by running fifty times, and its
 * report must be in the results, not only on a terminal. Pure.
 */
import { detailLines, passed, summaryLine, type ScenarioReport } from './report';

/** One scenario's report in one run of a repeated run. */
export interface RepeatRun {
  /** 1-based. */
  run: number;
  report: ScenarioReport;
  /** The one-minute load average when the scenario ended. */
  loadAverage: number;
}

/** A scenario's figures over every run. */
export interface ScenarioTotals {
  scenario: string;
  runs: number;
  passes: number;
  lost: number;
  duplicated: number;
}

/** The figures of a repeated run. */
export interface RepeatAggregate {
  runs: number;
  passes: number;
  failures: number;
  byScenario: ScenarioTotals[];
  /** One-minute load averages at the runs' ends; undefined without runs. */
  load?: { min: number; mean: number; max: number };
}

/** Sums the runs, per scenario and in all. */
export function aggregate(runs: readonly RepeatRun[]): RepeatAggregate {
  const byScenario = new Map<string, ScenarioTotals>();
  for (const { report } of runs) {
    const totals = byScenario.get(report.scenario) ?? { scenario: report.scenario, runs: 0, passes: 0, lost: 0, duplicated: 0 };
    totals.runs += 1;
    if (passed(report)) totals.passes += 1;
    totals.lost += report.counts.lost;
    totals.duplicated += report.counts.duplicated;
    byScenario.set(report.scenario, totals);
  }
  const passes = runs.filter(({ report }) => passed(report)).length;
  const loads = runs.map(({ loadAverage }) => loadAverage);
  const result: RepeatAggregate = { runs: runs.length, passes, failures: runs.length - passes, byScenario: [...byScenario.values()] };
  if (loads.length > 0) result.load = { min: Math.min(...loads), mean: loads.reduce((sum, load) => sum + load, 0) / loads.length, max: Math.max(...loads) };
  return result;
}

const oneDecimal = (value: number): string => value.toFixed(1);

/** The line printed as a run's scenario ends, e.g. `run=3/50 load=8.7 scenario=poison-record ... result=PASS`. */
export function repeatRunLine(run: RepeatRun, of: number): string {
  return `run=${run.run}/${of} load=${oneDecimal(run.loadAverage)} ${summaryLine(run.report)}`;
}

/** What loaded the machine, in words. */
export function loadText(threads: number | undefined): string {
  return threads === undefined ? 'without added load' : `under load (${threads} busy threads)`;
}

/** The closing lines: the verdict with the load average, then each scenario's totals. */
export function aggregateLines(result: RepeatAggregate, threads: number | undefined): string[] {
  const load =
    result.load === undefined ? '' : `, load average ${oneDecimal(result.load.min)}-${oneDecimal(result.load.max)} (mean ${oneDecimal(result.load.mean)})`;
  return [
    `chaos: ${result.runs} runs ${loadText(threads)}${load}: ${result.passes} passed, ${result.failures} failed`,
    ...result.byScenario.map(
      ({ scenario, runs, passes, lost, duplicated }) => `  ${scenario}: ${passes}/${runs} passed, lost=${lost} duplicated=${duplicated} over all runs`,
    ),
  ];
}

/** Where and how a repeated run happened, for its results section. */
export interface RepeatInfo {
  /** ISO 8601. */
  generatedAt: string;
  durationMs: number;
  machine: string;
  /** The command line's options. */
  options: string;
  /** Busy threads, undefined without added load. */
  threads?: number;
  /** The one-minute load average before the load started. */
  loadBefore: number;
}

/** A row per run: its figures, duration and load average. */
function table(runs: readonly RepeatRun[]): string[] {
  const rows = runs.map(({ run, report, loadAverage }) => {
    const c = report.counts;
    return `| ${run} | ${report.scenario} | ${passed(report) ? 'PASS' : 'FAIL'} | ${c.inSink}/${c.acknowledged} | ${c.lost} | ${c.duplicated} | ${c.retries} | ${c.deadLettered} | ${Math.round(report.durationMs / 100) / 10} | ${oneDecimal(loadAverage)} |`;
  });
  return [
    '| run | scenario | result | in sink | lost | duplicated | retries | dead-lettered | seconds | load average |',
    '| --: | --- | --- | --: | --: | --: | --: | --: | --: | --: |',
    ...rows,
  ];
}

/** The section of a repeated run: verdict, load, totals, a row per run, and every failed run's report in full. */
export function repeatMarkdown(runs: readonly RepeatRun[], info: RepeatInfo): string {
  const result = aggregate(runs);
  const failed = runs.filter(({ report }) => !passed(report));
  const load =
    result.load === undefined
      ? ''
      : ` One-minute load average at the runs' ends: ${oneDecimal(result.load.min)} to ${oneDecimal(result.load.max)}, mean ${oneDecimal(result.load.mean)} (${oneDecimal(info.loadBefore)} before the load started).`;
  return [
    `Generated by \`npm run chaos\` at ${info.generatedAt} in ${Math.round(info.durationMs / 1000)} s (${info.options || 'no options'}), ${loadText(info.threads)}. Machine: ${info.machine}.${load}`,
    '',
    `**${result.passes}/${result.runs} runs kept every promise**${result.failures > 0 ? `; ${result.failures} failed (their reports follow the table)` : ''}.`,
    '',
    '```',
    ...aggregateLines(result, info.threads),
    '```',
    '',
    ...table(runs),
    ...(failed.length === 0 ? [] : ['', '```', ...failed.flatMap((run) => [repeatRunLine(run, runs.length), ...detailLines(run.report)]), '```']),
    '',
  ].join('\n');
}
