import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../../lib/timeout';

class LateError extends Error {}

describe('withTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles with the promise when it settles in time, and leaves no timer behind', async () => {
    const raced = withTimeout(new Promise<string>((resolve) => setTimeout(() => resolve('done'), 99)), 100);
    await vi.advanceTimersByTimeAsync(99);
    await expect(raced).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes on the promise's own rejection", async () => {
    const raced = withTimeout(Promise.reject(new TypeError('boom')), 100);
    await expect(raced).rejects.toThrow(new TypeError('boom'));
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with Lambda's wording by default when the time runs out", async () => {
    const raced = withTimeout(new Promise<never>(() => undefined), 250);
    const outcome = expect(raced).rejects.toThrow('Task timed out after 250 ms');
    await vi.advanceTimersByTimeAsync(249);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
  });

  it("rejects with the caller's error, built only when the time runs out", async () => {
    const onTimeout = vi.fn(() => new LateError('no answer within 50 ms'));
    const raced = withTimeout(new Promise<never>(() => undefined), 50, onTimeout);
    const outcome = expect(raced).rejects.toBeInstanceOf(LateError);
    await vi.advanceTimersByTimeAsync(49);
    expect(onTimeout).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('treats a negative time as none left', async () => {
    const raced = withTimeout(new Promise<never>(() => undefined), -5);
    const outcome = expect(raced).rejects.toThrow('Task timed out after -5 ms');
    await vi.advanceTimersByTimeAsync(0);
    await outcome;
  });
});
