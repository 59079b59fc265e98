/**
 * How the runtime answers each operation of the route table (`route.ts`), and the routes beyond
 * v2 produce (the v3 records routes and the metadata reads), which are loaded on their first
 * request: a container that only serves `POST /topics/{topic}` never loads them, which keeps them
 * out of every cold start.
 */
import type { HttpResponse } from '../http/json-response';
import type { Logger } from '../logger';
import type { Operation, HttpRequest } from './route';

/** Answers one operation's request. */
export type OperationHandler = (request: HttpRequest, logger: Logger) => Promise<HttpResponse>;

/** How each operation of the route table is answered. */
export type Operations = Readonly<Record<Operation, OperationHandler>>;

/**
 * The handler of an operation whose code is loaded on first use: `load` runs once (again after
 * a failed load), and every request waits for it.
 */
export function lazyOperation<T>(load: () => Promise<T>, pick: (loaded: T) => OperationHandler): OperationHandler {
  let loading: Promise<T> | undefined;
  return async (request, logger) => {
    if (loading === undefined) {
      const started = load();
      loading = started;
      // A failed load (it should not happen: the chunk ships in the bundle) is tried again next time.
      started.catch(() => {
        loading = undefined;
      });
    }
    return pick(await loading)(request, logger);
  };
}
