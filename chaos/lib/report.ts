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

/** The outcome of one scenario. */
export interface ScenarioReport {
  scenario: string;
  counts: ScenarioCounts;
  /** Each promise the scenario found broken, in words; empty means PASS. */
  broken: string[];
  /** Extra figures worth reading (restarts, kills, status histogram...), printed on a second line. */
  details: Record<string, string | number>;
  durationMs: number;
}

/** Counts with every figure at 0. */
export function zeroCounts(): ScenarioCounts {
  return { sent: 0, acknowledged: 0, onTopic: 0, inSink: 0, lost: 0, duplicated: 0, retries: 0, deadLettered: 0 };
}

/** True when the scenario kept every promise. */
export function passed(report: ScenarioReport): boolean {
  return report.broken.length === 0 && report.counts.lost === 0 && report.counts.duplicated === 0;
}

/**
 * The summary line, for example
 * `scenario=acked-means-durable sent=5000 acknowledged=5000 on_topic=5000 in_sink=5000 lost=0 duplicated=0 retries=123 dead_lettered=0 result=PASS`.
 */
export function summaryLine(report: ScenarioReport): string {
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
    `result=${passed(report) ? 'PASS' : 'FAIL'}`,
  ].join(' ');
}

/** The indented lines under a summary line: duration, details, then each broken promise. */
export function detailLines(report: ScenarioReport): string[] {
  const details = Object.entries({ duration_ms: report.durationMs, ...report.details }).map(([name, value]) => `${name}=${value}`);
  return [`  ${details.join(' ')}`, ...report.broken.map((promise) => `  broken: ${promise}`)];
}

/** The process exit code for a run: 0 only when every scenario passed. */
export function exitCode(reports: readonly ScenarioReport[]): number {
  return reports.length > 0 && reports.every(passed) ? 0 : 1;
}
