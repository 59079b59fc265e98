/**
 * The class of an HTTP status (`2xx`, `4xx`, `5xx`): the `outcome` dimension of the produce
 * function's `Requests` metric, few values by design.
 */

/** An HTTP status's class; informational and redirect statuses, which this API never answers, fall in `other`. */
export function outcomeClassOf(statusCode: number): '2xx' | '4xx' | '5xx' | 'other' {
  if (statusCode >= 200 && statusCode < 300) return '2xx';
  if (statusCode >= 400 && statusCode < 500) return '4xx';
  if (statusCode >= 500 && statusCode < 600) return '5xx';
  return 'other';
}
