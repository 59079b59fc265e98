import { describe, expect, it } from 'vitest';
import { drainFailure, drainState, moved, waitForDrain, type DrainSample } from '../../../chaos/lib/drain';

const bound = { stallMs: 30_000, limitMs: 90_000 };
const sample = (missing: number, lag: number, pending = 0): DrainSample => ({ missing, lag, pending });

describe('drainState', () => {
  it.each([
    ['drained when nothing is missing, lagging or pending', sample(0, 0), { startedMs: 0, movedMs: 0, nowMs: 100_000 }, { kind: 'drained' }],
    ['waiting while records are still on their way', sample(0, 26), { startedMs: 0, movedMs: 20_000, nowMs: 40_000 }, { kind: 'waiting' }],
    ['waiting while a dead-letter record is awaited', sample(0, 0, 1), { startedMs: 0, movedMs: 0, nowMs: 1_000 }, { kind: 'waiting' }],
    ['stalled once nothing moved for the stall bound', sample(25, 26), { startedMs: 0, movedMs: 10_000, nowMs: 40_000 }, { kind: 'stalled', forMs: 30_000 }],
    ['out of time at the limit even while moving', sample(3, 3), { startedMs: 0, movedMs: 89_000, nowMs: 90_000 }, { kind: 'out-of-time', afterMs: 90_000 }],
  ])('is %s', (_, current, times, expected) => {
    expect(drainState(current, times, bound)).toEqual(expected);
  });

  // The short poison-record run that reported lost=25: it waited until the sink held at least
  // 120 items, which 135 items (partition 0 twice) satisfied while partition 1's 25 records
  // after the poison record were still waiting behind it. Waiting for every acknowledged id
  // and for the consumer group to commit past every record does not end there.
  it('keeps waiting when the sink holds more items than expected but 25 acknowledged messages and 26 records are still to come', () => {
    expect(drainState(sample(25, 26), { startedMs: 0, movedMs: 1_000, nowMs: 2_000 }, bound)).toEqual({ kind: 'waiting' });
  });
});

describe('moved', () => {
  it('is true for the first sample and when any figure changed, false otherwise', () => {
    expect(moved(undefined, sample(5, 5))).toBe(true);
    expect(moved(sample(5, 5), sample(5, 4))).toBe(true);
    expect(moved(sample(5, 5, 1), sample(5, 5, 0))).toBe(true);
    expect(moved(sample(5, 5), sample(5, 5))).toBe(false);
  });
});

describe('drainFailure', () => {
  it('says nothing for a drain that finished', () => {
    expect(drainFailure({ state: { kind: 'drained' }, sample: sample(0, 0), durationMs: 5_000 })).toBeUndefined();
  });

  it('names a stalled drain with what was still missing and where the group stood on each partition', () => {
    const positions = [
      { partition: 0, high: 40, committed: 40 },
      { partition: 1, high: 41, committed: 15 },
      { partition: 2, high: 40, committed: 40 },
    ];
    expect(drainFailure({ state: { kind: 'stalled', forMs: 30_250 }, sample: { missing: 25, lag: 26, pending: 0, positions }, durationMs: 44_000 })).toBe(
      'the pipeline drains within its bound (nothing moved for 30 s: 25 acknowledged messages not in the sink, lag 26, 0 more awaited; committed/end by partition 0:40/40,1:15/41,2:40/40)',
    );
  });

  it('names a drain out of time', () => {
    expect(drainFailure({ state: { kind: 'out-of-time', afterMs: 90_000 }, sample: sample(2, 2), durationMs: 90_000 })).toBe(
      'the pipeline drains within its bound (still going after 90 s: 2 acknowledged messages not in the sink, lag 2, 0 more awaited; committed/end by partition unknown)',
    );
  });
});

describe('waitForDrain', () => {
  it('resolves drained once a look finds nothing left', async () => {
    const looks = [sample(3, 3), sample(1, 2), sample(0, 0)];
    const outcome = await waitForDrain(async () => looks.shift() ?? sample(0, 0), bound, 1);
    expect(outcome.state).toEqual({ kind: 'drained' });
    expect(looks).toEqual([]);
  });

  it('fails as stalled when the figures stop moving, and a failed look counts as no move', async () => {
    let calls = 0;
    const outcome = await waitForDrain(
      async () => {
        calls += 1;
        if (calls % 2 === 0) throw new Error('broker restarting');
        return sample(2, 2);
      },
      { stallMs: 30, limitMs: 10_000 },
      1,
    );
    expect(outcome.state.kind).toBe('stalled');
    expect(outcome.sample).toEqual(sample(2, 2));
  });
});
