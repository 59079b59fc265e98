import { describe, expect, it } from 'vitest';
import { isPastMaximumAge } from '../../../../local/emulator/record-age';

describe('isPastMaximumAge', () => {
  const timestampMs = 1_000_000;
  it.each([
    ['no maximum (-1): never, however old', -1, timestampMs + 10 ** 12, false],
    ['younger than the maximum', 60, timestampMs + 59_999, false],
    ['exactly the maximum: not yet past it', 60, timestampMs + 60_000, false],
    ['one millisecond past the maximum', 60, timestampMs + 60_001, true],
    ['the largest maximum (7 days), past it', 604_800, timestampMs + 604_800_001, true],
    ['a timestamp in the future (clock skew): not past', 60, timestampMs - 5_000, false],
  ])('%s', (_name, maximumRecordAgeInSeconds, nowMs, expected) => {
    expect(isPastMaximumAge(timestampMs, nowMs, maximumRecordAgeInSeconds)).toBe(expected);
  });
});
