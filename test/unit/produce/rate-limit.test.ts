import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../lib/errors';
import { createLogger, silentLogger } from '../../../lib/logger';
import { RateLimiter, type RequestCounter } from '../../../lib/produce/rate-limit';
import { FakeClock } from '../../helpers/fake-clock';

/** Counts in memory as the DynamoDB counter does: one more unless the limit is reached. */
class MemoryCounter implements RequestCounter {
  readonly counts = new Map<string, { requests: number; expiresAtEpochSec: number }>();
  calls = 0;
  async take(key: string, limit: number, expiresAtEpochSec: number): Promise<boolean> {
    this.calls += 1;
    const item = this.counts.get(key) ?? { requests: 0, expiresAtEpochSec };
    if (item.requests >= limit) return false;
    this.counts.set(key, { requests: item.requests + 1, expiresAtEpochSec: item.expiresAtEpochSec });
    return true;
  }
}

/** Allowed (true) or refused with its Retry-After, for each of `count` requests. */
async function outcomes(limiter: RateLimiter, caller: string, count: number): Promise<(true | number)[]> {
  const results: (true | number)[] = [];
  for (let i = 0; i < count; i += 1) {
    try {
      await limiter.check(caller, silentLogger);
      results.push(true);
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      results.push(error.retryAfterSec);
    }
  }
  return results;
}

describe('RateLimiter', () => {
  // 1_800_000_000.250 s: a quarter of a second into a window.
  const start = 1_800_000_000_250;

  it('lets a caller make its requests per second, refuses the rest until the next second, then serves it again', async () => {
    const clock = new FakeClock(start);
    const limiter = new RateLimiter({ counter: new MemoryCounter(), clock, perSecond: 3 });
    expect(await outcomes(limiter, 'sha256:alice', 5)).toEqual([true, true, true, 1, 1]);
    clock.nowValueMs = start + 749; // the last millisecond of the window
    expect(await outcomes(limiter, 'sha256:alice', 1)).toEqual([1]);
    clock.nowValueMs = start + 750; // the next window
    expect(await outcomes(limiter, 'sha256:alice', 4)).toEqual([true, true, true, 1]);
  });

  it('leaves other callers served while one is refused: each caller has its own count', async () => {
    const limiter = new RateLimiter({ counter: new MemoryCounter(), clock: new FakeClock(start), perSecond: 2 });
    expect(await outcomes(limiter, 'sha256:alice', 10)).toEqual([true, true, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(await outcomes(limiter, 'sha256:bob', 2)).toEqual([true, true]);
  });

  it('keys each caller and second apart, the count kept a minute for TTL to remove', async () => {
    const counter = new MemoryCounter();
    const limiter = new RateLimiter({ counter, clock: new FakeClock(start), perSecond: 5 });
    await outcomes(limiter, 'sha256:alice', 2);
    expect([...counter.counts]).toEqual([['ratelimit:sha256:alice:1800000000', { requests: 2, expiresAtEpochSec: 1_800_000_060 }]]);
  });

  it('is off at 0: no request to the counter at all', async () => {
    const counter = new MemoryCounter();
    const limiter = new RateLimiter({ counter, clock: new FakeClock(start), perSecond: 0 });
    expect(await outcomes(limiter, 'sha256:alice', 50)).toEqual(Array(50).fill(true));
    expect(counter.calls).toBe(0);
  });

  it('lets the request through and logs why when the counter is unreachable', async () => {
    const lines: string[] = [];
    const counter: RequestCounter = { take: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:443')) };
    const limiter = new RateLimiter({ counter, clock: new FakeClock(start), perSecond: 1 });
    await limiter.check(
      'sha256:alice',
      createLogger('warn', (line) => lines.push(line)),
    );
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      message: 'rate limit not checked: the counter is unavailable',
      errorMessage: 'connect ECONNREFUSED 10.0.0.7:443',
    });
  });

  it('counts each refusal in RequestsThrottled', async () => {
    const counted: string[] = [];
    const metrics = { count: (name: string) => counted.push(name), durationMs: () => undefined, flush: () => undefined };
    const limiter = new RateLimiter({ counter: new MemoryCounter(), clock: new FakeClock(start), perSecond: 1, metrics });
    await outcomes(limiter, 'sha256:alice', 3);
    expect(counted).toEqual(['RequestsThrottled', 'RequestsThrottled']);
  });
});
