import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunks, sendUntilProcessed } from '../../../lib/dynamo/batch-requests';

afterEach(() => {
  vi.useRealTimers();
});

describe('chunks', () => {
  it.each([
    { name: 'nothing', items: [], size: 2, expected: [] },
    { name: 'fewer than a chunk', items: [1], size: 2, expected: [[1]] },
    {
      name: 'whole chunks',
      items: [1, 2, 3, 4],
      size: 2,
      expected: [
        [1, 2],
        [3, 4],
      ],
    },
    { name: 'a last partial chunk', items: [1, 2, 3, 4, 5], size: 2, expected: [[1, 2], [3, 4], [5]] },
  ])('slices $name in order', ({ items, size, expected }) => {
    expect(chunks(items, size)).toEqual(expected);
  });
});

describe('sendUntilProcessed', () => {
  it('sends nothing when there is nothing to send', async () => {
    const send = vi.fn(async () => []);
    await sendUntilProcessed([], send);
    expect(send).not.toHaveBeenCalled();
  });

  it('sends what each answer left unprocessed again, after 40 ms then 80 ms', async () => {
    vi.useFakeTimers();
    const sent: { atMs: number; pending: readonly string[] }[] = [];
    const answers: string[][] = [['b', 'c'], ['c'], []];
    const done = sendUntilProcessed(['a', 'b', 'c'], async (pending) => {
      sent.push({ atMs: Date.now(), pending });
      return answers[sent.length - 1] ?? [];
    });
    const startMs = Date.now();
    await vi.runAllTimersAsync();
    await done;
    expect(sent.map(({ atMs, pending }) => ({ afterMs: atMs - startMs, pending }))).toEqual([
      { afterMs: 0, pending: ['a', 'b', 'c'] },
      { afterMs: 40, pending: ['b', 'c'] },
      { afterMs: 120, pending: ['c'] },
    ]);
  });

  it('gives up after 8 retries (9 sends), having waited 40, 80, 160, 320, 640 ms and 1 s three times', async () => {
    vi.useFakeTimers();
    const startMs = Date.now();
    const sentAtMs: number[] = [];
    const done = sendUntilProcessed(['a'], async (pending) => {
      sentAtMs.push(Date.now() - startMs);
      return pending;
    });
    const outcome = expect(done).rejects.toThrow('1 unprocessed request(s) remained after 8 retries');
    await vi.runAllTimersAsync();
    await outcome;
    expect(sentAtMs).toEqual([0, 40, 120, 280, 600, 1_240, 2_240, 3_240, 4_240]);
  });

  it('passes on what send throws', async () => {
    await expect(
      sendUntilProcessed(['a'], async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
  });
});
