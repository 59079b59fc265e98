/**
 * Puts the records several partitions have ready into one invocation, as Lambda's poller puts
 * the partitions it reads into one event: a partition's records (planned on their own, see
 * `./batch-plan.ts`) join the invocation being gathered when they fit with what it holds in
 * the batch size and the payload limit, else the next one. An invocation goes once it is full,
 * or `gatherMs` after its first records arrived (the partitions of one fetch arrive a moment
 * apart). Each partition waits for its own part of the answer, so a partition is in at most
 * one invocation at a time.
 */

/** One partition's records for an invocation. */
export interface InvocationPart<Item> {
  records: readonly Item[];
  /** The part's bytes in the event (its own envelope counted, so the sum never falls short). */
  payloadBytes: number;
}

/** Options of {@link createInvocationGatherer}. */
export interface InvocationGathererOptions<Item, Result> {
  /** Most records in one invocation (the mapping's batch size). */
  maxRecords: number;
  maxPayloadBytes: number;
  gatherMs: number;
  /** Invokes the function once with every part; resolves with each part's result, in order. */
  invoke(parts: readonly InvocationPart<Item>[]): Promise<Result[]>;
}

/** Gathers parts into invocations. */
export interface InvocationGatherer<Item, Result> {
  /** Adds `part` to the next invocation that has room and resolves with its result for it. */
  deliver(part: InvocationPart<Item>): Promise<Result>;
  /** Sends the invocation being gathered now, without waiting out `gatherMs`. */
  flush(): void;
}

interface Pending<Item, Result> extends InvocationPart<Item> {
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** Creates a gatherer; nothing is invoked until a part is delivered. */
export function createInvocationGatherer<Item, Result>(options: InvocationGathererOptions<Item, Result>): InvocationGatherer<Item, Result> {
  let gathering: { parts: Pending<Item, Result>[]; records: number; payloadBytes: number; timer: NodeJS.Timeout } | undefined;
  /** Parts that did not fit in the invocation being gathered, for the next one. */
  const waiting: Pending<Item, Result>[] = [];

  const fits = (current: { records: number; payloadBytes: number }, part: InvocationPart<Item>): boolean =>
    current.records + part.records.length <= options.maxRecords && current.payloadBytes + part.payloadBytes <= options.maxPayloadBytes;

  const fire = (): void => {
    const current = gathering;
    gathering = undefined;
    if (current === undefined) return;
    clearTimeout(current.timer);
    options.invoke(current.parts).then(
      (results) => {
        for (const [index, part] of current.parts.entries()) part.resolve(results[index] as Result);
      },
      (error: unknown) => {
        for (const part of current.parts) part.reject(error);
      },
    );
    for (const next of waiting.splice(0)) gather(next);
  };

  const gather = (part: Pending<Item, Result>): void => {
    if (gathering !== undefined && !fits(gathering, part)) {
      waiting.push(part);
      return;
    }
    gathering ??= { parts: [], records: 0, payloadBytes: 0, timer: setTimeout(fire, options.gatherMs) };
    gathering.parts.push(part);
    gathering.records += part.records.length;
    gathering.payloadBytes += part.payloadBytes;
    if (gathering.records >= options.maxRecords) fire();
  };

  return {
    deliver: (part) => new Promise((resolve, reject) => gather({ ...part, resolve, reject })),
    flush: fire,
  };
}
