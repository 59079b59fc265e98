import { afterEach, describe, expect, it, vi } from 'vitest';
import { completionNeedsNoFence, realEvery, renewalDue, renewEveryMs } from '../../../lib/consume/lease';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('realEvery', () => {
  it('ticks once per interval until cancelled, then never again', () => {
    vi.useFakeTimers();
    let ticks = 0;
    const cancel = realEvery(1_000, () => {
      ticks += 1;
    });
    vi.advanceTimersByTime(999);
    expect(ticks).toBe(0);
    vi.advanceTimersByTime(1);
    expect(ticks).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(ticks).toBe(3);
    cancel();
    vi.advanceTimersByTime(10_000);
    expect(ticks).toBe(3);
  });

  it('does not keep the process alive', () => {
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    const cancel = realEvery(60_000, () => {});
    const timer = setInterval.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    cancel();
  });
});

describe('renewalDue', () => {
  it.each([
    { name: 'more than half the lease left', expiresAtMs: 20_001, expected: false },
    { name: 'exactly half left', expiresAtMs: 15_000, expected: false },
    { name: 'less than half left', expiresAtMs: 14_999, expected: true },
    { name: 'run out', expiresAtMs: -1, expected: true },
  ])('$name: $expected', ({ expiresAtMs, expected }) => {
    expect(renewalDue(expiresAtMs, 0, 30_000)).toBe(expected);
  });
});

describe('renewEveryMs', () => {
  it.each([
    { leaseMs: 30_000, expected: 10_000 },
    { leaseMs: 10, expected: 3 },
    { leaseMs: 2, expected: 1 },
    { leaseMs: 0, expected: 1 },
  ])('a $leaseMs ms lease is renewed every $expected ms', ({ leaseMs, expected }) => {
    expect(renewEveryMs(leaseMs)).toBe(expected);
  });
});

describe('completionNeedsNoFence', () => {
  it.each([
    { name: 'a held claim with half its lease left', expiresAtMs: 15_000, expected: true },
    { name: 'a held claim with less than half left', expiresAtMs: 14_999, expected: false },
    { name: 'a claim the owner no longer holds', expiresAtMs: undefined, expected: false },
  ])('$name: $expected', ({ expiresAtMs, expected }) => {
    expect(completionNeedsNoFence(expiresAtMs, 0, 30_000)).toBe(expected);
  });
});
