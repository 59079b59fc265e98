/** Summary statistics for benchmark rounds, apart from any I/O. */

/**
 * The `p`-th percentile of `values` by the nearest-rank method: the smallest value such that
 * at least `p` percent of the values are less than or equal to it.
 *
 * @param p - percentile, 0 (exclusive) to 100 (inclusive).
 * @throws Error when `values` is empty or `p` is out of range.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[rank - 1] as number;
}

/**
 * The median of `values`; the mean of the two middle values when their count is even.
 *
 * @throws Error when `values` is empty.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `value / baseline`, or null when the baseline is zero (a ratio would be meaningless). */
export function ratio(value: number, baseline: number): number | null {
  return baseline === 0 ? null : value / baseline;
}

/** Rounds to `digits` significant digits, to keep reports readable. */
export function significant(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

/**
 * `items` rotated left by `round`: over consecutive rounds each item goes first in turn, so
 * that no subject always meets the broker straight after the same neighbour.
 */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const shift = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Ratios of paired rounds: `values[i] / baselines[i]` for each round, and their median. The
 * per-round ratios themselves (rounded to 3 decimals) are left out for the baseline, whose
 * every ratio is 1.
 *
 * @throws Error when there are no rounds.
 */
export function pairedRatios(
  values: readonly number[],
  baselines: readonly number[],
  isBaseline: boolean,
): { ratioToBaseline: number; roundRatios?: number[] } {
  const ratios = values.map((value, index) => value / (baselines[index] as number));
  return { ratioToBaseline: median(ratios), ...(isBaseline ? {} : { roundRatios: ratios.map((value) => Number(value.toFixed(3))) }) };
}

/**
 * How far the medians of two runs of `roundRatios.length` rounds each, drawn like these
 * per-round ratios, are expected to lie apart: √2 times the standard error of a median,
 * which for roughly normal rounds is 1.2533 σ / √n (σ the rounds' standard deviation).
 * An estimate from one run, to say which goal ratios more rounds could steady and at what cost.
 *
 * @throws Error when there are fewer than two rounds.
 */
export function expectedRunToRunDifference(roundRatios: readonly number[]): number {
  const n = roundRatios.length;
  if (n < 2) throw new Error('a spread needs two rounds or more');
  const mean = roundRatios.reduce((sum, value) => sum + value, 0) / n;
  const variance = roundRatios.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  return Math.SQRT2 * ((1.2533 * Math.sqrt(variance)) / Math.sqrt(n));
}

/** Rounds needed for {@link expectedRunToRunDifference} of rounds like `roundRatios` to come down to `within`. */
export function roundsToAgreeWithin(roundRatios: readonly number[], within: number): number {
  const difference = expectedRunToRunDifference(roundRatios);
  return Math.ceil(roundRatios.length * (difference / within) ** 2);
}
