/**
 * Turns a run's figures into ratios, goal verdicts, `results.json`, `RESULTS.md` and the
 * ratio chart. Pure functions apart from {@link writeReport}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColdStartFigure } from './cold-start';
import type { ConsumeFigure } from './consume';
import type { SchemaFormatFigures } from './schema-formats';
import type { MachineDetails } from './machine';
import type { ProduceFigure, TurnsFigure } from './produce';
import type { StoreCalibration } from './store-calibration';
import { ratioChartSvg, type RatioBar } from './chart';
import { expectedRunToRunDifference, ratio, roundsToAgreeWithin, significant } from './stats';
import { STABLE_WITHIN } from './stability';
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
  /** The v3 records route against the v2 route taking turns request by request: the v3 goal's figure. */
  produceV3Turns?: TurnsFigure;
  /** The produce handler's own time per 100-record request with Kafka taken out (an instant producer). */
  produceHandlerCpuMsPer100?: number;
  /** The produce handler's flame graph (SVG), in the results folder. */
  produceFlameGraph?: string;
  consume: ConsumeFigure[];
  coldStart: ColdStartFigure[];
  endToEnd?: EndToEndFigure;
  /** Avro against json through the produce and consume handlers (bench/schema-formats.ts). */
  schemaFormats?: SchemaFormatFigures;
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

/**
 * End-to-end messages/s before the work these goals belong to: the committed bench of commit
 * 0d276ee (bench/RESULTS.md there, "End to end": 249 messages/s, median of 3 rounds of 2000).
 */
export const END_TO_END_BEFORE_PER_SEC = 249;

/** The issue's goals, as numbers. */
export const Goal = {
  produceHandlerRatio: 0.9,
  /** The produce handler at the other goal sizes ({@link OTHER_GOAL_SIZES}). */
  produceHandlerRatioOtherSizes: 0.8,
  localHttpServerRatio: 0.7,
  /** The v3 records route against the v2 topic route, at {@link GOAL_RECORDS_PER_REQUEST}. */
  v3ToV2Ratio: 0.9,
  consumeNewRatio: 3,
  requestsPerNewRecord: 1.2,
  requestsPerDuplicateRecord: 0.02,
  endToEndTimesBefore: 2,
} as const;

/** The request size the produce goals are judged at. */
export const GOAL_RECORDS_PER_REQUEST = 100;
/** Request sizes the produce handler has a goal at besides {@link GOAL_RECORDS_PER_REQUEST}. */
export const OTHER_GOAL_SIZES: readonly number[] = [10, 500];

/** The produce goal of `subject` at `size` records/request, if it has one. */
function produceGoalOf(subject: string, size: number): number | undefined {
  if (subject === SubjectName.ProduceHandler) {
    if (size === GOAL_RECORDS_PER_REQUEST) return Goal.produceHandlerRatio;
    if (OTHER_GOAL_SIZES.includes(size)) return Goal.produceHandlerRatioOtherSizes;
  }
  if (subject === SubjectName.LocalHttpServer && size === GOAL_RECORDS_PER_REQUEST) return Goal.localHttpServerRatio;
  return undefined;
}

function produceFigure(results: BenchResults, subject: string, size: number): ProduceFigure | undefined {
  return results.produce.find((figure) => figure.subject === subject && figure.recordsPerRequest === size);
}

function consumeFigure(results: BenchResults, subject: string, shape: Pick<ConsumeFigure, 'batchSize' | 'partitions' | 'kind'>): ConsumeFigure | undefined {
  return results.consume.find(
    (figure) => figure.subject === subject && figure.batchSize === shape.batchSize && figure.partitions === shape.partitions && figure.kind === shape.kind,
  );
}

/**
 * A figure's ratio to its baseline: the median of per-round quotients when the run kept them,
 * else the quotient of the medians (results.json files written before rounds were paired).
 */
function ratioOf(figure: { recordsPerSec: number; ratioToBaseline?: number }, baseline: { recordsPerSec: number } | undefined): number | null {
  if (figure.ratioToBaseline !== undefined) return figure.ratioToBaseline;
  return baseline === undefined ? null : ratio(figure.recordsPerSec, baseline.recordsPerSec);
}

/** A produce subject's ratio to direct kafkajs at `size` records/request, null when not measured. */
export function produceRatio(results: BenchResults, subject: string, size: number): number | null {
  const figure = produceFigure(results, subject, size);
  return figure === undefined ? null : ratioOf(figure, produceFigure(results, SubjectName.KafkajsProducer, size));
}

/** A consume figure's ratio to the Powertools baseline on the same shape and kind. */
export function consumeRatio(results: BenchResults, figure: ConsumeFigure): number | null {
  return ratioOf(figure, consumeFigure(results, SubjectName.PowertoolsConsumer, figure));
}

/**
 * `subject`'s throughput over `reference`'s, at `size` records/request: the median of per-round
 * quotients (each subject's round against the same round's baseline, so the baseline cancels
 * out), null when either was not measured.
 */
export function pairedRatio(results: BenchResults, subject: string, reference: string, size: number): { value: number; rounds: number[] } | null {
  const subjectFigure = produceFigure(results, subject, size);
  const referenceFigure = produceFigure(results, reference, size);
  if (subjectFigure === undefined || referenceFigure === undefined) return null;
  const ofSubject = subjectFigure.roundRatios;
  const ofReference = referenceFigure.roundRatios;
  // Without per-round figures (results.json files written before rounds were paired), the quotient of the medians.
  if (ofSubject === undefined || ofReference === undefined || ofSubject.length === 0 || ofSubject.length !== ofReference.length) {
    const value = ratio(subjectFigure.recordsPerSec, referenceFigure.recordsPerSec);
    return value === null ? null : { value, rounds: [] };
  }
  const rounds = ofSubject.map((ratio, index) => ratio / (ofReference[index] as number));
  const sorted = [...rounds].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { value, rounds };
}

/**
 * The v3 records route's throughput over the v2 route's, at `size` records/request: measured
 * taking turns request by request when the run did (`produceV3Turns`), else from the rounds
 * of all subjects (see {@link pairedRatio}; results.json files written before the turns).
 */
export function v3ToV2Ratio(results: BenchResults, size: number): { value: number; rounds: number[]; turns: boolean } | null {
  const turns = results.produceV3Turns;
  if (turns !== undefined && turns.recordsPerRequest === size) return { value: turns.ratio, rounds: turns.roundRatios, turns: true };
  const paired = pairedRatio(results, SubjectName.ProduceHandlerV3, SubjectName.ProduceHandler, size);
  return paired === null ? null : { ...paired, turns: false };
}

/** One number a goal is judged on, named for comparing runs. */
export interface GoalFigure {
  name: string;
  value: number;
}

/**
 * Every figure a goal reads, by name: the produce ratios, each shape's consume ratio, the
 * DynamoDB requests per record, and end to end as a multiple of the figure before.
 */
export function goalFigures(results: BenchResults): GoalFigure[] {
  const figures: GoalFigure[] = [];
  const add = (name: string, value: number | null | undefined): void => {
    if (value !== null && value !== undefined) figures.push({ name, value });
  };
  add(`produce handler / kafkajs, ${GOAL_RECORDS_PER_REQUEST}/request`, produceRatio(results, SubjectName.ProduceHandler, GOAL_RECORDS_PER_REQUEST));
  for (const size of OTHER_GOAL_SIZES) add(`produce handler / kafkajs, ${size}/request`, produceRatio(results, SubjectName.ProduceHandler, size));
  add(`local HTTP server / kafkajs, ${GOAL_RECORDS_PER_REQUEST}/request`, produceRatio(results, SubjectName.LocalHttpServer, GOAL_RECORDS_PER_REQUEST));
  // Measured in turns, the figure has a name of its own: a run measured in rounds of all subjects is not compared with it.
  const v3 = v3ToV2Ratio(results, GOAL_RECORDS_PER_REQUEST);
  add(`produce v3 records / v2${v3?.turns === true ? ' taking turns' : ''}, ${GOAL_RECORDS_PER_REQUEST}/request`, v3?.value);
  const ours = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler);
  for (const figure of ours.filter((entry) => entry.kind === 'new')) {
    add(`consume new / Powertools, ${figure.batchSize} x ${figure.partitions} partition(s)`, consumeRatio(results, figure));
  }
  add(
    'DynamoDB requests per new record (most of any shape)',
    maxOf(ours.filter((figure) => figure.kind === 'new').map((figure) => figure.dynamoRequestsPerRecord)),
  );
  add(
    'DynamoDB requests per duplicate record (most of any shape)',
    maxOf(ours.filter((figure) => figure.kind === 'duplicate').map((figure) => figure.dynamoRequestsPerRecord)),
  );
  add('end to end / before', results.endToEnd === undefined ? undefined : results.endToEnd.messagesPerSec / END_TO_END_BEFORE_PER_SEC);
  return figures;
}

function maxOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

const fixed = (value: number | null | undefined, digits = 2): string => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));

function produceVerdict(results: BenchResults, subject: string, label: string, size: number, goal: number): GoalVerdict {
  const value = produceRatio(results, subject, size);
  const figure = produceFigure(results, subject, size);
  const direct = produceFigure(results, SubjectName.KafkajsProducer, size);
  const ratios = figure?.roundRatios ?? [];
  // The spread of the median: its rounds' range and what it predicts for the next run.
  const spread =
    ratios.length > 1
      ? `; rounds ${fixed(Math.min(...ratios))} to ${fixed(Math.max(...ratios))}, next run within about ${fixed(expectedRunToRunDifference(ratios))}`
      : '';
  // The same subject against the baseline of earlier runs, which sent no caller header: beside the verdict, never instead of it.
  const earlier = pairedRatio(results, subject, SubjectName.KafkajsMessageIdOnly, size);
  const againstEarlier = earlier === null ? '' : `; against kafkajs with the message-id header only, ${fixed(earlier.value)}x`;
  return {
    goal: `${label} at ${size} records/request >= ${goal}x direct kafkajs throughput (the same messages)`,
    figure:
      value === null
        ? 'not measured'
        : `${fixed(value)}x, median of ${ratios.length} rounds${spread} (${Math.round(figure?.recordsPerSec ?? 0)} vs ${Math.round(direct?.recordsPerSec ?? 0)} records/s; p50 ${fixed(figure?.p50Ms)} vs ${fixed(direct?.p50Ms)} ms)${againstEarlier}`,
    met: value === null ? null : value >= goal,
  };
}

/** The schema formats' goals: Avro at least 0.8x json each way, and no registry request once warm. */
function schemaFormatVerdicts(figures: SchemaFormatFigures | undefined): GoalVerdict[] {
  const side = (name: 'produce' | 'consume', label: string): GoalVerdict[] => {
    const figure = figures?.[name];
    return [
      {
        goal: `Avro ${label} at 100 records >= 0.8x the json ${label} records/s`,
        figure: figure === undefined ? 'not measured' : `${fixed(figure.ratio)}x (${figure.avroRecordsPerSec} against ${figure.jsonRecordsPerSec} records/s)`,
        met: figure === undefined ? null : figure.ratio >= 0.8,
      },
      {
        goal: `No schema registry request per Avro ${label} once warm`,
        figure: figure === undefined ? 'not measured' : `${figure.registryRequestsWarm} requests over the measured rounds`,
        met: figure === undefined ? null : figure.registryRequestsWarm === 0,
      },
    ];
  };
  return [...side('produce', 'produce'), ...side('consume', 'consume')];
}

/** Judges the run against the issue's goals. */
export function evaluateGoals(results: BenchResults): GoalVerdict[] {
  const verdicts: GoalVerdict[] = [
    produceVerdict(results, SubjectName.ProduceHandler, 'Produce handler', GOAL_RECORDS_PER_REQUEST, Goal.produceHandlerRatio),
    ...OTHER_GOAL_SIZES.map((size) => produceVerdict(results, SubjectName.ProduceHandler, 'Produce handler', size, Goal.produceHandlerRatioOtherSizes)),
    produceVerdict(results, SubjectName.LocalHttpServer, 'Local HTTP server', GOAL_RECORDS_PER_REQUEST, Goal.localHttpServerRatio),
  ];
  const ours = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler);
  const measuredRatios = ours
    .filter((figure) => figure.kind === 'new')
    .map((figure) => ({ figure, value: consumeRatio(results, figure) }))
    .filter((entry): entry is { figure: ConsumeFigure; value: number } => entry.value !== null);
  const worst = measuredRatios.reduce<{ figure: ConsumeFigure; value: number } | undefined>(
    (lowest, entry) => (lowest === undefined || entry.value < lowest.value ? entry : lowest),
    undefined,
  );
  verdicts.push({
    goal: `Consume of new records >= ${Goal.consumeNewRatio}x the Powertools baseline records/s (every batch shape)`,
    figure:
      worst === undefined
        ? 'not measured'
        : `lowest ${fixed(worst.value)}x (${worst.figure.batchSize} records over ${worst.figure.partitions} partition(s)); all: ${measuredRatios.map((entry) => `${fixed(entry.value)}x`).join(', ')}`,
    met: worst === undefined ? null : worst.value >= Goal.consumeNewRatio,
  });
  const maxRequests = (kind: string): number | undefined =>
    maxOf(ours.filter((figure) => figure.kind === kind).map((figure) => figure.dynamoRequestsPerRecord));
  const newRequests = maxRequests('new');
  verdicts.push({
    goal: `<= ${Goal.requestsPerNewRecord} DynamoDB requests per new record`,
    figure: newRequests === undefined ? 'not measured' : `at most ${fixed(newRequests, 3)} per record`,
    met: newRequests === undefined ? null : newRequests <= Goal.requestsPerNewRecord,
  });
  const duplicateRequests = maxRequests('duplicate');
  verdicts.push({
    goal: `<= ${Goal.requestsPerDuplicateRecord} DynamoDB requests per duplicate record`,
    figure: duplicateRequests === undefined ? 'not measured' : `at most ${fixed(duplicateRequests, 3)} per record`,
    met: duplicateRequests === undefined ? null : duplicateRequests <= Goal.requestsPerDuplicateRecord,
  });
  const e2e = results.endToEnd;
  const e2eGoal = END_TO_END_BEFORE_PER_SEC * Goal.endToEndTimesBefore;
  verdicts.push({
    goal: `End to end >= ${Goal.endToEndTimesBefore}x the ${END_TO_END_BEFORE_PER_SEC} messages/s before this work (>= ${e2eGoal} messages/s)`,
    figure: e2e === undefined ? 'not measured' : `${Math.round(e2e.messagesPerSec)} messages/s (${fixed(e2e.messagesPerSec / END_TO_END_BEFORE_PER_SEC)}x)`,
    met: e2e === undefined ? null : e2e.messagesPerSec >= e2eGoal,
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
  const v3 = v3ToV2Ratio(results, GOAL_RECORDS_PER_REQUEST);
  verdicts.push({
    goal: `Produce v3 records at ${GOAL_RECORDS_PER_REQUEST} records/request >= ${Goal.v3ToV2Ratio}x the v2 produce handler in the same run`,
    figure:
      v3 === null
        ? 'not measured'
        : `${fixed(v3.value)}x, median of ${v3.rounds.length} rounds${v3.turns ? ` of ${results.produceV3Turns?.requestsPerRound} requests each, taking turns` : ''}${
            v3.rounds.length > 0 ? `; rounds ${fixed(Math.min(...v3.rounds))} to ${fixed(Math.max(...v3.rounds))}` : ''
          }${v3.rounds.length > 1 ? `, next run within about ${fixed(expectedRunToRunDifference(v3.rounds))}` : ''}`,
    met: v3 === null ? null : v3.value >= Goal.v3ToV2Ratio,
  });
  verdicts.push(...schemaFormatVerdicts(results.schemaFormats));
  return verdicts;
}

/**
 * How the v3 goal's figure was measured, for the Rounds section, with what the same run's
 * rounds of all subjects gave for comparison; empty when the run did not take turns.
 */
function v3TurnsText(results: BenchResults): string {
  const turns = results.produceV3Turns;
  if (turns === undefined) return '';
  const inRounds = pairedRatio(results, SubjectName.ProduceHandlerV3, SubjectName.ProduceHandler, turns.recordsPerRequest);
  const comparison =
    inRounds !== null && inRounds.rounds.length > 1 && turns.roundRatios.length > 1
      ? ` In this run the rounds of all subjects gave ${fixed(inRounds.value)}x (rounds ${fixed(Math.min(...inRounds.rounds))} to ${fixed(Math.max(...inRounds.rounds))}; two runs like it should differ by about ${fixed(expectedRunToRunDifference(inRounds.rounds))}), the turns ${fixed(turns.ratio)}x (about ${fixed(expectedRunToRunDifference(turns.roundRatios))}).`
      : '';
  return ` The v3 goal is measured apart, after these rounds: ${turns.rounds} rounds of ${turns.requestsPerRound} requests each of the v3 and the v2 route at ${turns.recordsPerRequest} records/request, taking turns request by request (which goes first alternating), a round's quotient being the v2 requests' time over the v3 requests'. The two handlers share one process, its garbage collections and the broker's pauses: in rounds of one subject after the other, a pause lands in one's block or the other's, and the per-round quotients scatter more.${comparison}`;
}

/** Every ratio worth a bar in the chart. */
export function ratioBars(results: BenchResults): RatioBar[] {
  const bars: RatioBar[] = [];
  for (const figure of results.produce) {
    if (figure.subject === SubjectName.KafkajsProducer) continue;
    const value = ratioOf(figure, produceFigure(results, SubjectName.KafkajsProducer, figure.recordsPerRequest));
    if (value === null) continue;
    const goal = produceGoalOf(figure.subject, figure.recordsPerRequest);
    bars.push({ label: `produce: ${figure.subject}, ${figure.recordsPerRequest}/request`, ratio: value, ...(goal === undefined ? {} : { goal }) });
  }
  for (const figure of results.consume) {
    if (figure.subject !== SubjectName.ConsumeHandler) continue;
    const value = consumeRatio(results, figure);
    if (value === null) continue;
    bars.push({
      label: `consume: ${figure.batchSize} ${figure.kind}, ${figure.partitions} partition${figure.partitions === 1 ? '' : 's'}`,
      ratio: value,
      ...(figure.kind === 'new' ? { goal: Goal.consumeNewRatio } : {}),
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

/** The range of per-round ratios of each figure that kept them, as one sentence. */
function roundSpread<T extends { roundRatios?: number[] }>(figures: readonly T[], label: (figure: T) => string): string {
  const measured = figures.filter((figure) => figure.roundRatios !== undefined && figure.roundRatios.length > 1);
  if (measured.length === 0) return '';
  const parts = measured.map((figure) => {
    const ratios = figure.roundRatios as number[];
    const difference = expectedRunToRunDifference(ratios);
    const agreement =
      difference <= STABLE_WITHIN
        ? `two runs like this one should agree within about ${fixed(difference)}`
        : `two runs like this one should differ by about ${fixed(difference)}, and about ${roundsToAgreeWithin(ratios, STABLE_WITHIN)} rounds would bring that to ${STABLE_WITHIN}`;
    return `${label(figure)}: ${fixed(Math.min(...ratios))} to ${fixed(Math.max(...ratios))}; ${agreement}`;
  });
  return ` Per-round ratios in this run, and what their spread means for the median: ${parts.join('. ')}.`;
}

/**
 * How the rounds were run and why so many: the ratios' stability between runs depends on it.
 */
function roundsSection(results: BenchResults): string[] {
  const produceRounds = [...new Map(results.produce.map((figure) => [figure.recordsPerRequest, figure])).values()];
  const consumeRounds = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler && figure.kind === 'new');
  if (produceRounds.length === 0 && consumeRounds.length === 0) return [];
  const lines = [
    '## Rounds',
    '',
    "A round runs every subject once, baseline included, before the next round starts, in an order that rotates from round to round so that no subject always goes first. A throughput is the median over rounds; a ratio is the median of the per-round ratios (the subject against the baseline of the same round), so a change in the machine's load between rounds cancels out of it. Latency percentiles pool every request of every round. Each goal ratio below comes with what its rounds' spread predicts for a second run (√2 times the standard error of a median, 1.2533 σ/√n); `npm run bench` also prints the difference to the previous run.",
    '',
  ];
  if (produceRounds.length > 0) {
    lines.push(
      `Produce: ${produceRounds.map((figure) => `${figure.rounds} rounds of ${figure.requestsPerRound} requests at ${figure.recordsPerRequest} records/request`).join(', ')}. The goals are judged at ${GOAL_RECORDS_PER_REQUEST} records/request (the handler's also at ${OTHER_GOAL_SIZES.join(' and ')}), whose ratio read 0.83x, 0.70x and 0.72x in three runs of 3 rounds each before rounds were paired. A round there takes a fraction of a second for all three subjects, so it gets many short rounds, enough for two consecutive runs to agree within ${STABLE_WITHIN}; 1 record/request, which no goal reads, gets fewer.${roundSpread(
        results.produce.filter(
          (figure) =>
            figure.recordsPerRequest === GOAL_RECORDS_PER_REQUEST ||
            (figure.subject === SubjectName.ProduceHandler && OTHER_GOAL_SIZES.includes(figure.recordsPerRequest)),
        ),
        (figure) => `${figure.subject} at ${figure.recordsPerRequest}/request`,
      )}${v3TurnsText(results)}`,
      '',
    );
  }
  if (consumeRounds.length > 0) {
    lines.push(
      `Consume: ${consumeRounds.map((figure) => `${figure.rounds} rounds of ${figure.batchSize} records over ${figure.partitions} partition(s)`).join(', ')}. A round gives each subject a new batch, then each the same batch again, so the new batches a ratio pairs run back to back. A 100-record round takes about a second, a 1000-record one about 7 s (the baseline's 5 s), so these counts keep the run near four minutes. They do not bring the consume ratios within ${STABLE_WITHIN} of the next run's: the handler runs at about five times the baseline, and its per-round ratio scatters widely (the ranges below: the one-threaded store and the bench process share two cores with the broker), so its median moves by tenths from run to run; the rounds that would take that to ${STABLE_WITHIN} are given below, hours of them. The goal is 3x, below every shape's median by more than that movement, so the verdict does not depend on it.${roundSpread(
        consumeRounds,
        (figure) => `${figure.batchSize} x ${figure.partitions}`,
      )}`,
      '',
    );
  }
  lines.push('`npm run bench:compare -- a.json b.json` prints every goal figure of two runs side by side and flags a difference over 0.05.', '');
  return lines;
}

/** Renders RESULTS.md. */
export function renderMarkdown(results: BenchResults, goals: readonly GoalVerdict[]): string {
  const { machine } = results;
  const sections: string[] = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` at ${results.generatedAt} in ${Math.round(results.durationSec)} s. Every ratio is to a baseline measured in the same run on the same broker and store, round by round (see Rounds below). The machine is shared, so compare ratios rather than absolute figures between runs.`,
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
    ...roundsSection(results),
    '## Produce',
    '',
    "Requests are sent one at a time (as one Lambda invocation at a time would), each carrying the same JSON records with a `message-id` header. Each subject's input (kafkajs messages, the request body) is built from the records before the clock starts, as the records themselves are: a caller's serialisation is not the subject's cost. Throughput is records acknowledged with acks=-1 per second; latency is per request, from sending to the answer; the answers are checked (every record acknowledged) once the round's clock has stopped, as reading them is the client's work. The produce handler is called in the bench process as Lambda calls it; the local HTTP server is `npm start`'s, in its own process, over a kept-alive loopback connection from a node:http client (global fetch would add its own 0.6-0.85 ms per request, the client's cost rather than the server's: bench/http-probe.ts); the baseline is a plain kafkajs producer sending the messages the handler writes, byte for byte: the same keys and values, the `message-id` header and the caller header (`x-caller-id`, stamped before the clock starts), so that the ratio measures the handler's own work. The baseline of earlier runs, the same records with the `message-id` header only, runs in the same rounds as `kafkajs acks=-1, message-id only`; each goal line also gives the subject's ratio to it.",
    '',
  ];
  if (results.produce.length > 0) {
    sections.push(
      table(
        ['records/request', 'subject', 'records/s', 'x baseline', 'p50 ms', 'p99 ms', 'requests x rounds'],
        results.produce.map((figure) => {
          return [
            String(figure.recordsPerRequest),
            figure.subject,
            String(Math.round(figure.recordsPerSec)),
            fixed(ratioOf(figure, produceFigure(results, SubjectName.KafkajsProducer, figure.recordsPerRequest))),
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
  if (results.produceFlameGraph !== undefined) {
    sections.push(
      `Where the produce handler's time goes, at ${GOAL_RECORDS_PER_REQUEST} records per request against the run's broker (a CPU profile of the bench process around the handler's requests only; open the SVG for each box's function and share):`,
      '',
      `![produce handler flame graph](${results.produceFlameGraph})`,
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
          return [
            String(figure.batchSize),
            String(figure.partitions),
            figure.kind,
            figure.subject,
            String(Math.round(figure.recordsPerSec)),
            fixed(consumeRatio(results, figure)),
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
  sections.push('## Schema formats: Avro against json', '');
  const schemaFormats = results.schemaFormats;
  if (schemaFormats === undefined) sections.push('Not measured in this run.', '');
  else {
    sections.push(
      `The same records, ${schemaFormats.recordsPerRequest} per request and per batch, through the produce handler and the consume handler, as json and as Avro (Confluent framing, schema ids known to the container), ${schemaFormats.rounds} paired rounds; each ratio is the median of the per-round quotients Avro/json.`,
      '',
      '| path | json records/s | Avro records/s | Avro / json | registry requests once warm |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...(['produce', 'consume'] as const).map((name) => {
        const figure = schemaFormats[name];
        return `| ${name} | ${figure.jsonRecordsPerSec} | ${figure.avroRecordsPerSec} | ${fixed(figure.ratio)} | ${figure.registryRequestsWarm} |`;
      }),
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
