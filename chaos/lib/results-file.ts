/**
 * `chaos/RESULTS.md`, the committed results: one section per kind of run (a full run, a
 * repeated run under load), each replaced by the next run of its kind while the others are
 * kept, so that neither erases the other's figures. Other runs write to `chaos/.tmp/`. Pure.
 */
import type { ChaosOptions } from './options';

/** The sections of `chaos/RESULTS.md`, each written by its own kind of run. */
export const ResultsSection = {
  /** A single pass of every scenario at full size (`npm run chaos`). */
  FullRun: 'full-run',
  /** A repeated run under load of at least {@link COMMITTED_REPEAT_RUNS} runs. */
  RepeatUnderLoad: 'repeat-under-load',
} as const;
export type ResultsSection = (typeof ResultsSection)[keyof typeof ResultsSection];

const SECTION_TITLES: Record<ResultsSection, string> = {
  [ResultsSection.FullRun]: 'Last full run',
  [ResultsSection.RepeatUnderLoad]: 'Last repeated run under load',
};

/** The fewest runs under load whose figures replace the committed ones: the bar the duplicate's issue set. */
export const COMMITTED_REPEAT_RUNS = 50;

/** Whether a run's figures belong in the committed results file, and in which section (undefined: `chaos/.tmp/`). */
export function resultsSectionOf(options: ChaosOptions, scenarioCount: number, totalScenarios: number): ResultsSection | undefined {
  if (options.repeat !== undefined) return options.underLoad && options.repeat >= COMMITTED_REPEAT_RUNS ? ResultsSection.RepeatUnderLoad : undefined;
  return scenarioCount === totalScenarios && !options.short ? ResultsSection.FullRun : undefined;
}

const RESULTS_TITLE = '# Fault injection: results';
const RESULTS_FOOTER =
  'What the figures mean: `sent` messages sent (for garbage input, requests and events); `acknowledged` answered 200, or written to the topic by the scenario itself; `on_topic` / `in_sink` acknowledged messages found on the topic and with an effect in the sink, each counted once; `lost` acknowledged messages missing from the topic or the sink; `duplicated` effects beyond the one each record allows (a second accepted write of a sink item, or more items than records). `lost` and `duplicated` must be 0. A model run reports `histories`, the generated histories it ran, and `counterexamples`, those that broke a promise (each printed shrunk), which must be 0. The scenarios and the report on a loss or a duplicate are described in docs/reliability.md.';

const startMarker = (section: ResultsSection): string => `<!-- chaos:${section} -->`;
const endMarker = (section: ResultsSection): string => `<!-- /chaos:${section} -->`;

/** The body of `section` in a results file, without its heading; undefined when absent. */
export function sectionOf(file: string, section: ResultsSection): string | undefined {
  const start = file.indexOf(startMarker(section));
  const end = file.indexOf(endMarker(section));
  if (start === -1 || end === -1 || end < start) return undefined;
  const body = file.slice(start + startMarker(section).length, end);
  const heading = `## ${SECTION_TITLES[section]}\n`;
  const at = body.indexOf(heading);
  return (at === -1 ? body : body.slice(at + heading.length)).trim();
}

/**
 * The results file with `section` set to `body` and the other sections kept as they are in
 * `existing` (a file of another shape keeps nothing), so that neither kind of run erases the
 * other's figures.
 */
export function withSection(existing: string, section: ResultsSection, body: string): string {
  const parts = Object.values(ResultsSection).flatMap((name) => {
    const text = name === section ? body.trim() : sectionOf(existing, name);
    return text === undefined ? [] : [startMarker(name), `## ${SECTION_TITLES[name]}`, '', text, endMarker(name), ''];
  });
  return [RESULTS_TITLE, '', ...parts, RESULTS_FOOTER, ''].join('\n');
}
