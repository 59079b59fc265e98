import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../../../local/kafka/consumer';
import { planNextStep, type PlanLimits, type PlanStep, type RecordChecks } from '../../../../local/emulator/batch-plan';

/** Records at offsets 10.. with values naming what the checks make of them: ok, drop (filtered), old (expired), huge (1,000 bytes). */
function records(...values: string[]): FetchedRecord[] {
  return values.map((value, index) => ({
    topic: 't',
    partition: 0,
    offset: String(10 + index),
    timestampMs: 0,
    key: null,
    value: Buffer.from(value),
    headers: [],
  }));
}

const checks: RecordChecks = {
  kept: (record) => record.value?.toString() !== 'drop',
  expired: (record) => record.value?.toString() === 'old',
  bytes: (record) => (record.value?.toString() === 'huge' ? 1_000 : 100),
  envelopeBytes: 50,
};

const limits: PlanLimits = { batchSize: 3, maxPayloadBytes: 500 };
const offsets = (step: PlanStep | undefined) => (step?.kind === 'invoke' ? step.records.map((record) => record.offset) : undefined);

describe('planNextStep', () => {
  it('has nothing to do without records', () => {
    expect(planNextStep([], limits, checks)).toBeUndefined();
  });

  it.each([
    ['fewer than a batch: not full (the window may wait)', ['ok', 'ok'], limits, ['10', '11'], false],
    ['a full batch: cut at batchSize', ['ok', 'ok', 'ok', 'ok'], limits, ['10', '11', '12'], true],
    ['filtered records among them are left out of the event', ['ok', 'drop', 'ok'], limits, ['10', '12'], false],
    ['filtered records do not count towards the batch size', ['ok', 'drop', 'ok', 'ok', 'ok'], limits, ['10', '12', '13'], true],
    ['cut before an expired record, so a retry never sends it twice', ['ok', 'old', 'ok'], limits, ['10'], true],
    ['cut before a record too big on its own', ['ok', 'huge', 'ok'], limits, ['10'], true],
    // 50 + 100 + 101 + 101 + 101 = 453; a fourth would make 554 > 500.
    ['cut at the payload limit', ['ok', 'ok', 'ok', 'ok'], { batchSize: 10, maxPayloadBytes: 500 }, ['10', '11', '12', '13'], false],
    ['cut at the payload limit, exactly', ['ok', 'ok', 'ok', 'ok', 'ok'], { batchSize: 10, maxPayloadBytes: 500 }, ['10', '11', '12', '13'], true],
    ["cut at a bisected batch's window", ['ok', 'ok', 'ok'], { ...limits, untilOffset: 12n }, ['10', '11'], true],
    ['a window already passed limits nothing', ['ok', 'ok'], { ...limits, untilOffset: 10n }, ['10', '11'], false],
    ["cut at a bisected batch's half size", ['ok', 'ok', 'ok'], { ...limits, batchSize: 1, untilOffset: 13n }, ['10'], true],
  ])('%s', (_name, values, stepLimits, expected, full) => {
    const step = planNextStep(records(...values), stepLimits, checks);
    expect(offsets(step)).toEqual(expected);
    expect(step).toMatchObject({ kind: 'invoke', full });
  });

  it('counts only the filtered records inside the invocation; those after it are skipped next', () => {
    expect(planNextStep(records('ok', 'drop', 'ok', 'drop', 'old'), limits, checks)).toMatchObject({ kind: 'invoke', filteredOut: 1 });
  });

  it('skips a head of filtered, expired and oversized records, committing past them', () => {
    expect(planNextStep(records('drop', 'old', 'huge', 'drop', 'ok', 'old'), limits, checks)).toEqual({
      kind: 'skip',
      filteredOut: 2,
      failures: [
        { record: expect.objectContaining({ offset: '11' }), condition: 'RecordAgeExceeded' },
        { record: expect.objectContaining({ offset: '12' }), condition: 'MaximumPayloadSizeExceeded' },
      ],
      resumeAtOffset: 14n,
    });
  });

  it('skips to past the last record when none is delivered', () => {
    expect(planNextStep(records('drop', 'drop'), limits, checks)).toEqual({ kind: 'skip', filteredOut: 2, failures: [], resumeAtOffset: 12n });
  });
});
