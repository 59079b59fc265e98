import { describe, expect, it } from 'vitest';
import { createBatchedOutput } from '../../../local/batched-output';

/** A sink that keeps each write, and a timer that fires only when told. */
function harness(maxPendingChars?: number) {
  const writes: string[] = [];
  const timers: { ms: number; fire: () => void }[] = [];
  const output = createBatchedOutput((text) => writes.push(text), {
    flushEveryMs: 50,
    ...(maxPendingChars === undefined ? {} : { maxPendingChars }),
    setTimer: (fire, ms) => timers.push({ ms, fire }),
  });
  return { output, writes, timers };
}

describe('createBatchedOutput', () => {
  it('writes the lines queued within one interval together, in order, when the timer fires', () => {
    const { output, writes, timers } = harness();
    output.write('a\n');
    output.write('b\n');
    output.write('c\n');
    expect(writes).toEqual([]);
    expect(timers.map((timer) => timer.ms)).toEqual([50]);
    timers[0]?.fire();
    expect(writes).toEqual(['a\nb\nc\n']);
  });

  it('sets one timer per batch, and a new one for lines queued after it fired', () => {
    const { output, writes, timers } = harness();
    output.write('a\n');
    timers[0]?.fire();
    output.write('b\n');
    expect(timers).toHaveLength(2);
    timers[1]?.fire();
    expect(writes).toEqual(['a\n', 'b\n']);
  });

  it('writes everything queued on flush, and nothing when nothing is queued', () => {
    const { output, writes, timers } = harness();
    output.flush();
    output.write('a\n');
    output.flush();
    timers[0]?.fire();
    expect(writes).toEqual(['a\n']);
  });

  it('writes at once when the queued text reaches the limit', () => {
    const { output, writes } = harness(4);
    output.write('ab\n');
    expect(writes).toEqual([]);
    output.write('c\n');
    expect(writes).toEqual(['ab\nc\n']);
  });
});
