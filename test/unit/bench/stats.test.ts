import { describe, expect, it } from 'vitest';
import { median, pairedRatios, percentile, ratio, significant, expectedRunToRunDifference, roundsToAgreeWithin } from '../../../bench/stats';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => 100 - index); // 100, 99, ..., 1

  it('p50 of 1..100 is 50 and p99 is 99, whatever the input order', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('p100 is the maximum and a tiny percentile the minimum', () => {
    expect(percentile([7, 3, 9], 100)).toBe(9);
    expect(percentile([7, 3, 9], 0.1)).toBe(3);
  });

  it('p99 of fewer than 100 values is the maximum', () => {
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
  });

  it('rejects no values and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow('no values');
    expect(() => percentile([1], 0)).toThrow('(0, 100]');
    expect(() => percentile([1], 101)).toThrow('(0, 100]');
  });
});

describe('median', () => {
  it('is the middle value of an odd count', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('rejects no values', () => {
    expect(() => median([])).toThrow('no values');
  });
});

describe('ratio and significant', () => {
  it('divides by the baseline and gives null for a zero baseline', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeNull();
  });

  it('keeps three significant digits by default', () => {
    expect(significant(1234.567)).toBe(1230);
    expect(significant(0.0123456)).toBe(0.0123);
    expect(significant(0)).toBe(0);
  });
});

describe('pairedRatios', () => {
  it('divides each round by the baseline of the same round and takes the median', () => {
    expect(pairedRatios([80, 90, 60], [100, 100, 50], false)).toEqual({ ratioToBaseline: 0.9, roundRatios: [0.8, 0.9, 1.2] });
  });

  it('keeps no per-round ratios for the baseline itself', () => {
    expect(pairedRatios([100, 50], [100, 50], true)).toEqual({ ratioToBaseline: 1 });
  });
});

describe('expectedRunToRunDifference', () => {
  it('is √2 times 1.2533 σ/√n', () => {
    // [1, 3]: sample σ = √2, so 1.2533 · √2 / √2 = 1.2533, times √2 = 1.77244.
    expect(expectedRunToRunDifference([1, 3])).toBeCloseTo(1.77244, 4);
    expect(expectedRunToRunDifference([2, 2, 2])).toBe(0);
  });

  it('needs two rounds', () => {
    expect(() => expectedRunToRunDifference([1])).toThrow('a spread needs two rounds or more');
  });
});

describe('roundsToAgreeWithin', () => {
  it('scales the rounds by the square of how far the difference is from the target', () => {
    // 2 · (1.77244 / 0.5)² = 25.13, so 26.
    expect(roundsToAgreeWithin([1, 3], 0.5)).toBe(26);
  });
});
