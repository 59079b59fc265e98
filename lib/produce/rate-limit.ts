/**
 * The per-caller rate limit of the produce API: at most `PRODUCE_RATE_LIMIT_PER_SEC` requests
 * per caller in each one-second window, counted in DynamoDB with one conditional update per
 * request, so that a burst from one caller leaves the others served (API Gateway's HTTP API
 * throttles per route and stage, never per caller, and has no usage plans).
 *
 * Why fixed windows and not a continuously refilled token bucket: refilling needs
 * `max(now, last)` of the stored state, which a DynamoDB update expression cannot compute, so a
 * continuous bucket costs a read or a second conditional write on some requests. A window is a
 * bucket of `perSecond` tokens refilled at each whole second: exactly one `UpdateItem` per
 * request, allowed or refused, on an item of its own (`ratelimit:<caller digest>:<second>`),
 * which TTL removes. The price: a caller may get up to twice the rate across a window boundary.
 */
import type { Clock } from '../clock';
import { RateLimitedError } from '../errors';
import { errorFields, type Logger } from '../logger';
import { MetricName, noMetrics, type MetricsRecorder } from '../observability/metrics';

/** Counts requests per key; the DynamoDB one is `lib/dynamo/request-counter.ts`. */
export interface RequestCounter {
  /**
   * Counts one request under `key` unless `limit` were already counted there; the count
   * expires at `expiresAtEpochSec`.
   *
   * @returns whether the request was counted (false: the limit was reached).
   */
  take(key: string, limit: number, expiresAtEpochSec: number): Promise<boolean>;
}

/** Collaborators of {@link RateLimiter}. */
export interface RateLimiterDeps {
  counter: RequestCounter;
  clock: Clock;
  /** Requests per caller per second; 0 turns the limit off. */
  perSecond: number;
  metrics?: MetricsRecorder;
}

const WINDOW_MS = 1_000;

/** Windows stay in the table this long after they end, for TTL to remove (it may take longer). */
const KEEP_SEC = 60;

/** The counter's key for `callerDigest` in the window starting at `windowStartSec`. */
export function rateLimitKey(callerDigest: string, windowStartSec: number): string {
  return `ratelimit:${callerDigest}:${windowStartSec}`;
}

/** The per-caller limit. */
export class RateLimiter {
  constructor(private readonly deps: RateLimiterDeps) {}

  /**
   * Counts one request of `callerDigest`. When the counter cannot be reached the request is let
   * through and the failure logged: the limit protects capacity, and refusing every request
   * while DynamoDB is unreachable would take the whole API down with it (the stage's own
   * throttling still bounds the total).
   *
   * @throws {RateLimitedError} when the caller already made its `perSecond` requests in this
   *   second; `retryAfterSec` is when the next window starts.
   */
  async check(callerDigest: string, logger: Logger): Promise<void> {
    const { counter, clock, perSecond } = this.deps;
    if (perSecond === 0) return;
    const nowMs = clock.nowMs();
    const windowStartSec = Math.floor(nowMs / WINDOW_MS);
    let counted: boolean;
    try {
      counted = await counter.take(rateLimitKey(callerDigest, windowStartSec), perSecond, windowStartSec + KEEP_SEC);
    } catch (error) {
      logger.warn('rate limit not checked: the counter is unavailable', errorFields(error));
      return;
    }
    if (counted) return;
    (this.deps.metrics ?? noMetrics).count(MetricName.RequestsThrottled, 1);
    // Stryker disable next-line MethodExpression,ArithmeticOperator: a window is one second, so what is left of it is 1 to 1000 ms and the wait always 1 s; these mutants all give 1 too.
    const retryAfterSec = Math.max(1, Math.ceil(((windowStartSec + 1) * WINDOW_MS - nowMs) / 1000));
    throw new RateLimitedError(`more than ${perSecond} requests per second from this caller; retry after ${retryAfterSec} s`, retryAfterSec);
  }
}
