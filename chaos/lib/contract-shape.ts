/**
 * Checks an HTTP answer of the produce API against the contract's shapes: a 200 carries
 * `offsets`, anything else `{error_code, message}` with a code in the status's family
 * (or, for 5xx, the per-record offsets shape), never a stack trace and never a 500.
 */
import type { RawResponse } from './http';

/** What is wrong with an answer, or undefined when it keeps the contract. */
export function contractProblem(response: RawResponse | undefined, allowedStatuses: readonly number[]): string | undefined {
  if (response === undefined) return 'no HTTP answer (connection dropped or timed out)';
  const { status } = response;
  if (status === 500) return 'status 500';
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    return `status ${status} with a body that is not JSON: ${JSON.stringify(response.body.subarray(0, 80).toString('utf8'))}`;
  }
  if (typeof body !== 'object' || body === null) return `status ${status} with a JSON body that is not an object`;
  const text = JSON.stringify(body);
  if (/\n\s+at |\bat [\w.<>]+ \(/.test(text)) return `status ${status} leaks a stack trace`;
  const fields = body as Record<string, unknown>;
  if (!(response.headers['content-type'] ?? '').includes('json')) return `status ${status} without a JSON content type`;
  if (status === 200) return Array.isArray(fields.offsets) ? undefined : 'status 200 without offsets';
  const shaped =
    (Number.isInteger(fields.error_code) && typeof fields.message === 'string' && Math.floor((fields.error_code as number) / 100) === status) ||
    (status >= 500 && Array.isArray(fields.offsets));
  if (!shaped) return `status ${status} body not in the contract's error shape: ${text.slice(0, 120)}`;
  // The answer's own words say which dependency or rule it was: the lead for whoever reads the report.
  if (!allowedStatuses.includes(status)) return `status ${status} where the contract allows ${allowedStatuses.join('/')} (${text.slice(0, 160)})`;
  return undefined;
}
