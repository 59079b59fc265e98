/**
 * The `records flowing` line `npm start` prints every few seconds while records flow: messages per second
 * produced and consumed, the consumer's offset lag, retries, records dead-lettered, and what
 * the event source mapping's settings did: records filtered out, expired, batches bisected,
 * and records a redrive wrote back. A person watching a long run sees it move; an idle
 * pipeline prints nothing.
 */
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';

/** Running totals since start (the lag is a level, not a total). */
export interface FlowCounts {
  produced: number;
  consumed: number;
  retried: number;
  /** Written to the on-failure topic (Lambda's `OnFailureDestinationDeliveredEventCount`). */
  deadLettered: number;
  offsetLag: number;
  /** Committed undelivered by the filters (Lambda's `FilteredOutEventCount`). */
  filteredOut: number;
  /** Past the maximum record age (part of Lambda's `DroppedEventCount`). */
  expired: number;
  /** Batches split in two after a function error. */
  bisected: number;
  /** Records a redrive wrote back, as the consume function counted them (`RecordsRedriven`). */
  redriven: number;
}

/** What one summary line says. */
export interface FlowFields {
  producedPerSec: number;
  consumedPerSec: number;
  offsetLag: number;
  retries: number;
  deadLettered: number;
  filteredOut: number;
  expired: number;
  bisected: number;
  redriven: number;
}

const perSecond = (count: number, elapsedMs: number): number => Math.round((count * 10_000) / elapsedMs) / 10;

/**
 * The summary of what happened between two readings, or undefined when nothing moved (no
 * record produced, consumed, retried, dead-lettered, filtered out, expired, bisected or redriven).
 *
 * @param elapsedMs - time between the readings, in milliseconds (above zero).
 */
export function flowFields(previous: FlowCounts, current: FlowCounts, elapsedMs: number): FlowFields | undefined {
  const produced = current.produced - previous.produced;
  const consumed = current.consumed - previous.consumed;
  const retries = current.retried - previous.retried;
  const deadLettered = current.deadLettered - previous.deadLettered;
  const filteredOut = current.filteredOut - previous.filteredOut;
  const expired = current.expired - previous.expired;
  const bisected = current.bisected - previous.bisected;
  const redriven = current.redriven - previous.redriven;
  if ([produced, consumed, retries, deadLettered, filteredOut, expired, bisected, redriven].every((count) => count === 0)) return undefined;
  return {
    producedPerSec: perSecond(produced, elapsedMs),
    consumedPerSec: perSecond(consumed, elapsedMs),
    offsetLag: current.offsetLag,
    retries,
    deadLettered,
    filteredOut,
    expired,
    bisected,
    redriven,
  };
}

/** Options of {@link startFlowSummary}. */
export interface FlowSummaryOptions {
  read(): FlowCounts;
  logger: Logger;
  clock: Clock;
  everyMs: number;
}

/** Logs a `flow` line every `everyMs` while records move; `stop` ends it. */
export function startFlowSummary(options: FlowSummaryOptions): { stop(): void } {
  let previous = options.read();
  let previousMs = options.clock.nowMs();
  const timer = setInterval(() => {
    const current = options.read();
    const nowMs = options.clock.nowMs();
    const fields = flowFields(previous, current, Math.max(1, nowMs - previousMs));
    if (fields !== undefined) options.logger.info('records flowing', { ...fields });
    previous = current;
    previousMs = nowMs;
  }, options.everyMs);
  // The summary never keeps the process alive on its own.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
