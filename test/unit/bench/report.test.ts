import { describe, expect, it } from 'vitest';
import { END_TO_END_BEFORE_PER_SEC, evaluateGoals, goalFigures, ratioBars, renderMarkdown, type BenchResults } from '../../../bench/report';
import type { ConsumeFigure } from '../../../bench/consume';
import type { ProduceFigure, TurnsFigure } from '../../../bench/produce';
import type { ColdStartFigure } from '../../../bench/cold-start';

const produce = (subject: string, recordsPerSec: number, recordsPerRequest = 100): ProduceFigure => ({
  subject,
  recordsPerRequest,
  requestsPerRound: 40,
  rounds: 3,
  recordsPerSec,
  p50Ms: 10,
  p99Ms: 20,
});

/** The 100-record rounds of all subjects in which v3's quotients against v2 are 0.9/0.9 = 1, 0.76/0.8 = 0.95 and 0.85/1 = 0.85. */
const V3_IN_ROUNDS: ProduceFigure[] = [
  produce('kafkajs acks=-1, the same messages (baseline)', 1000),
  { ...produce('produce handler', 920), ratioToBaseline: 0.92, roundRatios: [0.9, 0.8, 1] },
  { ...produce('produce handler, v3 records', 850), ratioToBaseline: 0.85, roundRatios: [0.9, 0.76, 0.85] },
];

/** v3 against v2 taking turns: 3 rounds, 0.88x. */
const V3_TURNS: TurnsFigure = {
  subject: 'produce handler, v3 records',
  reference: 'produce handler',
  recordsPerRequest: 100,
  requestsPerRound: 20,
  rounds: 3,
  ratio: 0.88,
  roundRatios: [0.88, 0.8, 0.96],
};

const consume = (subject: string, kind: 'new' | 'duplicate', partitions: number, recordsPerSec: number, dynamoRequestsPerRecord: number): ConsumeFigure => ({
  subject,
  batchSize: 100,
  partitions,
  kind,
  rounds: 5,
  recordsPerSec,
  dynamoRequestsPerRecord,
  requestsByOperation: { PutItem: 100 },
});

const bundle = (name: string, coldLoadedBytes: number): ColdStartFigure => ({
  name,
  entry: `functions/${name}.ts`,
  coldLoadedBytes,
  totalJsBytes: coldLoadedBytes + 300_000,
  coldLoadedByPackage: { kafkajs: coldLoadedBytes },
  rounds: 5,
  freshProcessToFirstInvocationMs: 200,
  loadMs: 150,
  firstInvocationMs: 50,
});

const schemaFormats = (
  produceRatio: number,
  produceRequests: number,
  consumeRatio: number,
  consumeRequests: number,
): NonNullable<BenchResults['schemaFormats']> => ({
  recordsPerRequest: 100,
  rounds: 3,
  produce: { jsonRecordsPerSec: 1000, avroRecordsPerSec: 1000 * produceRatio, ratio: produceRatio, roundRatios: [], registryRequestsWarm: produceRequests },
  consume: { jsonRecordsPerSec: 500, avroRecordsPerSec: 500 * consumeRatio, ratio: consumeRatio, roundRatios: [], registryRequestsWarm: consumeRequests },
});

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    generatedAt: '2026-11-27T00:00:00.000Z',
    durationSec: 100,
    machine: {
      cpuModel: 'Test CPU',
      cpuCount: 2,
      totalMemoryGiB: 24,
      loadAverage1m: 1,
      platform: 'Linux 6',
      arch: 'x64',
      nodeVersion: '20.0.0',
      v8Version: '11',
      kafkaBrokers: '127.0.0.1:1',
      kafkaStartedByBench: true,
      dynamoStartedByBench: true,
    },
    settings: {},
    produce: [
      produce('kafkajs acks=-1, the same messages (baseline)', 1000),
      produce('produce handler', 920),
      produce('local HTTP server', 720),
      produce('produce handler, v3 records', 828),
      produce('kafkajs acks=-1, the same messages (baseline)', 1000, 10),
      produce('produce handler', 800, 10),
      produce('kafkajs acks=-1, the same messages (baseline)', 1000, 500),
      produce('produce handler', 850, 500),
    ],
    consume: [
      consume('consume handler', 'new', 1, 600, 1.2),
      consume('consume handler', 'new', 4, 900, 1.01),
      consume('consume handler', 'duplicate', 1, 2000, 0.02),
      consume('consume handler', 'duplicate', 4, 2000, 0.01),
      consume('Powertools idempotency (baseline)', 'new', 1, 100, 3),
      consume('Powertools idempotency (baseline)', 'new', 4, 100, 3),
      consume('Powertools idempotency (baseline)', 'duplicate', 1, 150, 2),
      consume('Powertools idempotency (baseline)', 'duplicate', 4, 150, 2),
    ],
    coldStart: [bundle('produce function', 320_000), bundle('consume function', 90_000)],
    endToEnd: { messages: 2000, recordsPerRequest: 100, concurrentRequests: 4, rounds: 3, messagesPerSec: 498, elapsedMs: 4016 },
    schemaFormats: schemaFormats(0.8, 0, 0.8, 0),
    checks: [],
    unavailable: [],
    findings: [],
    ...overrides,
  };
}

describe('evaluateGoals', () => {
  it('meets every goal when the figures do, each at its threshold', () => {
    const verdicts = evaluateGoals(results());
    expect(verdicts.map((verdict) => verdict.goal)).toEqual([
      'Produce handler at 100 records/request >= 0.9x direct kafkajs throughput (the same messages)',
      'Produce handler at 10 records/request >= 0.8x direct kafkajs throughput (the same messages)',
      'Produce handler at 500 records/request >= 0.8x direct kafkajs throughput (the same messages)',
      'Local HTTP server at 100 records/request >= 0.7x direct kafkajs throughput (the same messages)',
      'Consume of new records >= 3x the Powertools baseline records/s (every batch shape)',
      '<= 1.2 DynamoDB requests per new record',
      '<= 0.02 DynamoDB requests per duplicate record',
      'End to end >= 2x the 249 messages/s before this work (>= 498 messages/s)',
      'Each function bundle < 400 KB minified (what a cold start loads, AWS SDK inside, as deployed)',
      'Produce v3 records at 100 records/request >= 0.9x the v2 produce handler in the same run',
      'Avro produce at 100 records >= 0.8x the json produce records/s',
      'No schema registry request per Avro produce once warm',
      'Avro consume at 100 records >= 0.8x the json consume records/s',
      'No schema registry request per Avro consume once warm',
    ]);
    expect(verdicts.map((verdict) => verdict.met)).toEqual([true, true, true, true, true, true, true, true, true, true, true, true, true, true]);
    expect(verdicts[9]?.figure).toBe('0.90x, median of 0 rounds');
    expect(verdicts[10]?.figure).toBe('0.80x (800 against 1000 records/s)');
    expect(verdicts[0]?.figure).toBe('0.92x, median of 0 rounds (920 vs 1000 records/s; p50 10.00 vs 10.00 ms)');
    expect(verdicts[3]?.figure).toBe('0.72x, median of 0 rounds (720 vs 1000 records/s; p50 10.00 vs 10.00 ms)');
    expect(verdicts[4]?.figure).toContain('lowest 6.00x (100 records over 1 partition(s))');
    expect(verdicts[7]?.figure).toBe('498 messages/s (2.00x)');
  });

  it("gives a goal ratio's spread: its rounds' range and the difference it predicts for the next run", () => {
    const roundRatios = [0.88, 0.9, 0.92, 0.94, 0.96];
    const verdicts = evaluateGoals(
      results({
        produce: [produce('kafkajs acks=-1, the same messages (baseline)', 1000), { ...produce('produce handler', 920), ratioToBaseline: 0.92, roundRatios }],
      }),
    );
    // sqrt(2) x 1.2533 x sample standard deviation 0.0316 / sqrt(5) = 0.025.
    expect(verdicts[0]?.figure).toBe(
      '0.92x, median of 5 rounds; rounds 0.88 to 0.96, next run within about 0.03 (920 vs 1000 records/s; p50 10.00 vs 10.00 ms)',
    );
  });

  it('misses each goal just past its threshold', () => {
    const verdicts = evaluateGoals(
      results({
        produce: [
          produce('kafkajs acks=-1, the same messages (baseline)', 1000),
          produce('produce handler', 890),
          produce('local HTTP server', 690),
          produce('produce handler, v3 records', 800),
          produce('kafkajs acks=-1, the same messages (baseline)', 1000, 10),
          produce('produce handler', 790, 10),
          produce('kafkajs acks=-1, the same messages (baseline)', 1000, 500),
          produce('produce handler', 790, 500),
        ],
        consume: [
          consume('consume handler', 'new', 1, 250, 1.21),
          consume('consume handler', 'new', 4, 900, 1),
          consume('consume handler', 'duplicate', 1, 2000, 0.03),
          consume('Powertools idempotency (baseline)', 'new', 1, 100, 3),
          consume('Powertools idempotency (baseline)', 'new', 4, 100, 3),
          consume('Powertools idempotency (baseline)', 'duplicate', 1, 150, 2),
        ],
        endToEnd: { messages: 2000, recordsPerRequest: 100, concurrentRequests: 4, rounds: 3, messagesPerSec: 497, elapsedMs: 4024 },
        schemaFormats: schemaFormats(0.79, 1, 0.79, 1),
      }),
    );
    // 800 / 890 = 0.899: just under 0.9.
    expect(verdicts.map((verdict) => verdict.met)).toEqual([false, false, false, false, false, false, false, false, true, false, false, false, false, false]);
    expect(verdicts[4]?.figure).toContain('lowest 2.50x');
    expect(verdicts[5]?.figure).toBe('at most 1.210 per record');
  });

  it('judges v3 against v2 by the median of per-round quotients, the baseline cancelling out', () => {
    const verdicts = evaluateGoals(results({ produce: V3_IN_ROUNDS }));
    // Rounds: 0.9/0.9 = 1, 0.76/0.8 = 0.95, 0.85/1 = 0.85; median 0.95; their sample deviation 0.076 predicts √2 x 1.2533 x 0.076 / √3 = 0.08.
    expect(verdicts[9]).toEqual({
      goal: 'Produce v3 records at 100 records/request >= 0.9x the v2 produce handler in the same run',
      figure: '0.95x, median of 3 rounds; rounds 0.85 to 1.00, next run within about 0.08',
      met: true,
    });
  });

  it('judges v3 against v2 by the rounds taking turns when the run measured them, and names the figure apart', () => {
    const withTurns = results({ produce: V3_IN_ROUNDS, produceV3Turns: V3_TURNS });
    const verdicts = evaluateGoals(withTurns);
    // The rounds in turns, not those of all subjects (0.95x): 0.88x; deviation 0.08, so √2 x 1.2533 x 0.08 / √3 = 0.08.
    expect(verdicts[9]).toEqual({
      goal: 'Produce v3 records at 100 records/request >= 0.9x the v2 produce handler in the same run',
      figure: '0.88x, median of 3 rounds of 20 requests each, taking turns; rounds 0.80 to 0.96, next run within about 0.08',
      met: false,
    });
    expect(goalFigures(withTurns).find((figure) => figure.name.startsWith('produce v3'))).toEqual({
      name: 'produce v3 records / v2 taking turns, 100/request',
      value: 0.88,
    });
  });

  it('gives the range of a single round taking turns, and no spread', () => {
    const verdicts = evaluateGoals(
      results({
        produceV3Turns: { ...V3_TURNS, requestsPerRound: 10, rounds: 1, ratio: 0.93, roundRatios: [0.93] },
      }),
    );
    expect(verdicts[9]?.figure).toBe('0.93x, median of 1 rounds of 10 requests each, taking turns; rounds 0.93 to 0.93');
  });

  it('takes a ratio from the per-round ratios when the run kept them', () => {
    const verdicts = evaluateGoals(
      results({ produce: [produce('kafkajs acks=-1, the same messages (baseline)', 1000), { ...produce('produce handler', 950), ratioToBaseline: 0.89 }] }),
    );
    expect(verdicts[0]?.met).toBe(false);
    expect(verdicts[0]?.figure).toContain('0.89x');
  });

  it('misses the bundle goal when one bundle is 400,000 bytes or more', () => {
    const verdicts = evaluateGoals(results({ coldStart: [bundle('produce function', 400_000), bundle('consume function', 90_000)] }));
    expect(verdicts[8]?.met).toBe(false);
  });

  it('says "not measured" rather than guessing when a subject is missing', () => {
    const verdicts = evaluateGoals(
      results({
        produce: [produce('kafkajs acks=-1, the same messages (baseline)', 1000)],
        consume: [],
        coldStart: [],
        endToEnd: undefined,
        schemaFormats: undefined,
      }),
    );
    expect(verdicts.map((verdict) => verdict.met)).toEqual([null, null, null, null, null, null, null, null, null, null, null, null, null, null]);
    expect(verdicts.every((verdict) => verdict.figure === 'not measured')).toBe(true);
  });
});

describe('goalFigures', () => {
  it('names every figure a goal reads', () => {
    expect(goalFigures(results())).toEqual([
      { name: 'produce handler / kafkajs, 100/request', value: 0.92 },
      { name: 'produce handler / kafkajs, 10/request', value: 0.8 },
      { name: 'produce handler / kafkajs, 500/request', value: 0.85 },
      { name: 'local HTTP server / kafkajs, 100/request', value: 0.72 },
      { name: 'produce v3 records / v2, 100/request', value: 0.9 },
      { name: 'consume new / Powertools, 100 x 1 partition(s)', value: 6 },
      { name: 'consume new / Powertools, 100 x 4 partition(s)', value: 9 },
      { name: 'DynamoDB requests per new record (most of any shape)', value: 1.2 },
      { name: 'DynamoDB requests per duplicate record (most of any shape)', value: 0.02 },
      { name: 'end to end / before', value: 2 },
    ]);
  });

  it('keeps the figure before this work where it was measured', () => {
    expect(END_TO_END_BEFORE_PER_SEC).toBe(249);
  });
});

describe('ratioBars and renderMarkdown', () => {
  it('makes one bar per non-baseline figure, with the goals attached', () => {
    const bars = ratioBars(results());
    expect(bars.map((bar) => [bar.label, bar.ratio, bar.goal])).toEqual([
      ['produce: produce handler, 100/request', 0.92, 0.9],
      ['produce: local HTTP server, 100/request', 0.72, 0.7],
      ['produce: produce handler, v3 records, 100/request', 0.828, undefined],
      ['produce: produce handler, 10/request', 0.8, 0.8],
      ['produce: produce handler, 500/request', 0.85, 0.8],
      ['consume: 100 new, 1 partition', 6, 3],
      ['consume: 100 new, 4 partitions', 9, 3],
      ['consume: 100 duplicate, 1 partition', 2000 / 150, undefined],
      ['consume: 100 duplicate, 4 partitions', 2000 / 150, undefined],
    ]);
  });

  it('writes the goal table with verdicts and the figures tables', () => {
    const markdown = renderMarkdown(results(), evaluateGoals(results()));
    expect(markdown).toContain(
      '| Produce handler at 100 records/request >= 0.9x direct kafkajs throughput (the same messages) | 0.92x, median of 0 rounds (920 vs 1000 records/s; p50 10.00 vs 10.00 ms) | met |',
    );
    expect(markdown).toContain('3 rounds of 40 requests at 100 records/request');
    expect(markdown).toContain('| 100 | produce handler | 920 | 0.92 | 10.00 | 20.00 | 40 x 3 |');
    expect(markdown).toContain('| 100 | 1 | new | consume handler | 600 | 6.00 | 1.200 | PutItem 100 |');
    expect(markdown).toContain('| produce function | 320.0 | 620.0 | 200 | 150 | 50 |');
  });

  it("says how the v3 goal was measured in turns, beside what the run's rounds of all subjects gave", () => {
    const run = results({ produce: V3_IN_ROUNDS, produceV3Turns: V3_TURNS });
    const markdown = renderMarkdown(run, evaluateGoals(run));
    expect(markdown).toContain(
      'The v3 goal is measured apart, after these rounds: 3 rounds of 20 requests each of the v3 and the v2 route at 100 records/request',
    );
    // The rounds of all subjects: 1, 0.95, 0.85 (median 0.95, spread 0.08, as in the verdict test above); the turns: 0.88 (0.08).
    expect(markdown).toContain(
      'In this run the rounds of all subjects gave 0.95x (rounds 0.85 to 1.00; two runs like it should differ by about 0.08), the turns 0.88x (about 0.08).',
    );
  });
});
