import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPatience, isTransient, realSleep, waitDeadlineMs } from '../../../lib/consume/patience';
import { StoreUnavailableError } from '../../../lib/errors';
import { FakeClock } from '../../helpers/fake-clock';

afterEach(() => {
  vi.useRealTimers();
});

function setup(deadlineAfterMs: number | undefined) {
  const clock = new FakeClock();
  const sleptMs: number[] = [];
  const patience = createPatience(clock, deadlineAfterMs === undefined ? undefined : clock.nowMs() + deadlineAfterMs, async (ms) => {
    clock.nowValueMs += ms;
    sleptMs.push(ms);
  });
  return { patience, sleptMs };
}

describe('createPatience', () => {
  it('doubles each pause up to 2 s', async () => {
    const { patience, sleptMs } = setup(60_000);
    for (let i = 0; i < 7; i += 1) expect(await patience.pause()).toBe(true);
    expect(sleptMs).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
  });

  it('takes a pause that ends exactly at the deadline, and none that would end after it', async () => {
    const { patience, sleptMs } = setup(300);
    expect(await patience.pause()).toBe(true);
    expect(await patience.pause()).toBe(true);
    expect(await patience.pause()).toBe(false);
    expect(sleptMs).toEqual([100, 200]);
  });

  it('never waits without a deadline', async () => {
    const { patience, sleptMs } = setup(undefined);
    expect(await patience.pause()).toBe(false);
    expect(sleptMs).toEqual([]);
  });

  it('makes the next pause short again after a reset', async () => {
    const { patience, sleptMs } = setup(60_000);
    await patience.pause();
    await patience.pause();
    patience.reset();
    await patience.pause();
    expect(sleptMs).toEqual([100, 200, 100]);
  });
});

describe('realSleep', () => {
  it('resolves once the time has passed, not before', async () => {
    vi.useFakeTimers();
    let done = false;
    const sleeping = realSleep(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
  });
});

describe('waitDeadlineMs', () => {
  it('keeps a quarter of a short invocation, at most 5 s, to answer', () => {
    expect(waitDeadlineMs(1_000, 8_000)).toBe(7_000);
    expect(waitDeadlineMs(1_000, 60_000)).toBe(56_000);
  });

  it.each([undefined, Number.POSITIVE_INFINITY, Number.NaN])('has no deadline for remaining time %s', (remainingMs) => {
    expect(waitDeadlineMs(1_000, remainingMs)).toBeUndefined();
  });
});

describe('isTransient', () => {
  it.each([
    ['a store outage', new StoreUnavailableError('down'), true],
    ['an object marked retriable', { retriable: true }, true],
    ['an error not marked', new Error('bad value'), false],
    ['an object marked with a truthy non-boolean', { retriable: 'yes' }, false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['a function carrying retriable', Object.assign(() => {}, { retriable: true }), false],
  ])('%s: %s', (_, error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });
});
