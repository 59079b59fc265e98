/**
 * Checks an HTTP answer of the produce API against the contract's shapes: a v2 produce 200
 * carries `offsets`; a v3 records 200 is CRLF-terminated reports, each `error_code` 200 or a
 * 4xx code (a 5xx code inside a 200 would hide a server fault); a v3 batch 207 has `successes`
 * and `failures`; a read 200 is JSON; anything else `{error_code, message}` with a code in the
 * status's family (or the status itself, as Confluent's v3 answers an unknown cluster), or for
 * 5xx the per-record offsets shape; never a stack trace and never a 500.
 */
import type { RawResponse } from './http';

/** The reports of a v3 records answer, or a problem with them. */
function reportsProblem(text: string): string | undefined {
  if (!text.endsWith('\r\n')) return 'status 200 v3 reports not ended by CRLF';
  for (const line of text.slice(0, -2).split('\r\n')) {
    let report: unknown;
    try {
      report = JSON.parse(line);
    } catch {
      return `status 200 with a v3 report that is not JSON: ${JSON.stringify(line.slice(0, 80))}`;
    }
    const code = (report as { error_code?: unknown } | null)?.error_code;
    if (!(code === 200 || (Number.isInteger(code) && (code as number) >= 400 && (code as number) < 50_000))) {
      return `status 200 with a v3 report of error_code ${JSON.stringify(code)}: ${line.slice(0, 160)}`;
    }
  }
  return undefined;
}

/** How many records a v3 answer reports produced (error_code 200 reports, or batch successes); 0 for any other answer. */
export function v3ProducedCount(response: RawResponse | undefined): number {
  if (response === undefined) return 0;
  const text = response.body.toString('utf8');
  try {
    if (response.status === 207) return ((JSON.parse(text) as { successes?: unknown[] }).successes ?? []).length;
    if (response.status === 200 && text.endsWith('\r\n')) {
      return text
        .slice(0, -2)
        .split('\r\n')
        .filter((line) => (JSON.parse(line) as { error_code?: unknown }).error_code === 200).length;
    }
  } catch {
    return 0;
  }
  return 0;
}

/** What is wrong with an answer, or undefined when it keeps the contract. */
export function contractProblem(response: RawResponse | undefined, allowedStatuses: readonly number[]): string | undefined {
  if (response === undefined) return 'no HTTP answer (connection dropped or timed out)';
  const { status } = response;
  if (status === 500) return 'status 500';
  const raw = response.body.toString('utf8');
  const jsonType = (response.headers['content-type'] ?? '').includes('json');
  if (status === 200 && raw.endsWith('\r\n')) {
    if (!jsonType) return `status ${status} without a JSON content type`;
    const problem = reportsProblem(raw);
    if (problem !== undefined) return problem;
    return allowedStatuses.includes(status) ? undefined : `status 200 where the contract allows ${allowedStatuses.join('/')}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return `status ${status} with a body that is not JSON: ${JSON.stringify(response.body.subarray(0, 80).toString('utf8'))}`;
  }
  if (typeof body !== 'object' || body === null) return `status ${status} with a JSON body that is not an object`;
  const text = JSON.stringify(body);
  if (/\n\s+at |\bat [\w.<>]+ \(/.test(text)) return `status ${status} leaks a stack trace`;
  const fields = body as Record<string, unknown>;
  if (!jsonType) return `status ${status} without a JSON content type`;
  if (status === 200 || status === 207) {
    // A produce answer has offsets; a read answer is a list, a topic, a partition or a v3 resource.
    const shaped =
      status === 207
        ? Array.isArray(fields.successes) && Array.isArray(fields.failures)
        : Array.isArray(fields.offsets) ||
          Array.isArray(body) ||
          typeof fields.kind === 'string' ||
          typeof fields.name === 'string' ||
          Number.isInteger(fields.partition);
    if (!shaped) return `status ${status} body not in its shape: ${text.slice(0, 120)}`;
    return allowedStatuses.includes(status) ? undefined : `status ${status} where the contract allows ${allowedStatuses.join('/')} (${text.slice(0, 160)})`;
  }
  const code = fields.error_code;
  const shaped =
    (Number.isInteger(code) && typeof fields.message === 'string' && (Math.floor((code as number) / 100) === status || code === status)) ||
    (status >= 500 && Array.isArray(fields.offsets));
  if (!shaped) return `status ${status} body not in the contract's error shape: ${text.slice(0, 120)}`;
  // The answer's own words say which dependency or rule it was: the lead for whoever reads the report.
  if (!allowedStatuses.includes(status)) return `status ${status} where the contract allows ${allowedStatuses.join('/')} (${text.slice(0, 160)})`;
  return undefined;
}
