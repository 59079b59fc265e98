import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInvocationGatherer, type InvocationPart } from '../../../../local/emulator/invocation-gatherer';

/** A gatherer whose invocations are recorded as the parts' records, each part answered with its first record. */
function recording(maxRecords = 10, maxPayloadBytes = 1_000) {
  const invocations: string[][][] = [];
  const gatherer = createInvocationGatherer<string, string>({
    maxRecords,
    maxPayloadBytes,
    gatherMs: 5,
    invoke: async (parts) => {
      invocations.push(parts.map((part) => [...part.records]));
      return parts.map((part) => `answer for ${part.records[0]}`);
    },
  });
  return { gatherer, invocations };
}

const part = (records: string[], payloadBytes = 100): InvocationPart<string> => ({ records, payloadBytes });

describe('createInvocationGatherer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('puts the parts that arrive within the gathering time in one invocation, and answers each its own', async () => {
    const { gatherer, invocations } = recording();
    const a = gatherer.deliver(part(['a0', 'a1']));
    vi.advanceTimersByTime(3);
    const b = gatherer.deliver(part(['b0']));
    expect(invocations).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(invocations).toEqual([[['a0', 'a1'], ['b0']]]);
    expect(await a).toBe('answer for a0');
    expect(await b).toBe('answer for b0');
  });

  it('invokes at once when the batch size is reached, and keeps a part that does not fit for the next invocation', async () => {
    const { gatherer, invocations } = recording(4);
    const parts = [gatherer.deliver(part(['a0', 'a1', 'a2'])), gatherer.deliver(part(['b0', 'b1'])), gatherer.deliver(part(['c0']))];
    // a (3) + b (2) > 4: b waits; a + c = 4 is full and goes at once.
    await vi.advanceTimersByTimeAsync(0);
    expect(invocations).toEqual([[['a0', 'a1', 'a2'], ['c0']]]);
    // b had started the next gathering when a's went.
    await vi.advanceTimersByTimeAsync(5);
    expect(invocations).toEqual([[['a0', 'a1', 'a2'], ['c0']], [['b0', 'b1']]]);
    expect(await Promise.all(parts)).toEqual(['answer for a0', 'answer for b0', 'answer for c0']);
  });

  it('keeps the payload limit across parts', async () => {
    const { gatherer, invocations } = recording(10, 1_000);
    void gatherer.deliver(part(['a0'], 600));
    void gatherer.deliver(part(['b0'], 600));
    await vi.advanceTimersByTimeAsync(5);
    await vi.advanceTimersByTimeAsync(5);
    expect(invocations).toEqual([[['a0']], [['b0']]]);
  });

  it('sends what it holds on flush, and rejects every part of a failed invocation', async () => {
    const gatherer = createInvocationGatherer<string, string>({
      maxRecords: 10,
      maxPayloadBytes: 1_000,
      gatherMs: 5,
      invoke: async () => {
        throw new Error('handler gone');
      },
    });
    const a = gatherer.deliver(part(['a0']));
    const b = gatherer.deliver(part(['b0']));
    gatherer.flush();
    await expect(a).rejects.toThrow('handler gone');
    await expect(b).rejects.toThrow('handler gone');
  });
});
