/**
 * HTTP from the outside: a produce client that retries until it gets a 200 (as the issue's
 * clients do), and a raw-socket sender for garbage, whose bytes no HTTP library would
 * agree to write.
 */
import net from 'node:net';

/** A parsed HTTP response. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** What one produce call ended with. */
export interface ProduceOutcome {
  acknowledged: boolean;
  /** Attempts made, the first included. */
  attempts: number;
  /** Answers by status (`network` for a failed connection), across all attempts. */
  statuses: Record<string, number>;
  /** The 200 response's body, parsed. */
  response?: unknown;
}

/** Options for {@link produceUntilAcknowledged}. */
export interface ProduceOptions {
  idempotencyKey?: string;
  contentType?: string;
  /** Give up after this long; the message then counts as not acknowledged. */
  deadlineMs: number;
  /** Pause between attempts. */
  retryDelayMs?: number;
  /** Budget of one attempt. */
  attemptTimeoutMs?: number;
  /** Called after every attempt with its status (`network` for a failed connection). */
  onAttempt?: (status: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POSTs a produce request again and again, with the same Idempotency-Key and body, until
 * the answer is 200 or the deadline passes. Every non-200 answer is retried, because a
 * client that wants its message delivered has no better option; the caller judges the
 * statuses seen.
 */
export async function produceUntilAcknowledged(baseUrl: string, topic: string, body: string, options: ProduceOptions): Promise<ProduceOutcome> {
  const deadline = Date.now() + options.deadlineMs;
  const statuses: Record<string, number> = {};
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let status: string;
    try {
      const response = await fetch(`${baseUrl}/topics/${encodeURIComponent(topic)}`, {
        method: 'POST',
        headers: {
          'content-type': options.contentType ?? 'application/vnd.kafka.json.v2+json',
          ...(options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey }),
        },
        body,
        signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 30_000),
      });
      const text = await response.text();
      status = String(response.status);
      if (response.status === 200) {
        statuses[status] = (statuses[status] ?? 0) + 1;
        options.onAttempt?.(status);
        return { acknowledged: true, attempts, statuses, response: JSON.parse(text) as unknown };
      }
    } catch {
      status = 'network';
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    options.onAttempt?.(status);
    if (Date.now() > deadline) return { acknowledged: false, attempts, statuses };
    await sleep(options.retryDelayMs ?? 100);
  }
}

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Parses a complete HTTP/1.1 response; undefined when the bytes are not one. */
export function parseRawResponse(bytes: Buffer): RawResponse | undefined {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const [statusLine, ...headerLines] = bytes.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (match === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = bytes.subarray(headerEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked') === true) body = decodeChunked(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(match[1]), headers, body };
}

/**
 * Writes `request` (a whole HTTP/1.1 request, headers and body, which should ask for
 * `Connection: close`) to `host:port` and reads the answer until it is complete or the
 * server closes.
 * A server that answers before reading a huge body and resets the connection is fine:
 * the answer it sent is what counts.
 *
 * @returns the response, or undefined when the server closed without a parsable answer.
 */
export async function sendRaw(host: string, port: number, request: Buffer, timeoutMs = 30_000): Promise<RawResponse | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parseRawResponse(Buffer.concat(chunks));
      // Stop as soon as a response with a known length is complete.
      if (parsed !== undefined && parsed.headers['content-length'] !== undefined && parsed.body.length >= Number(parsed.headers['content-length'])) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    // Write without half-closing: a server may drop a connection whose client already sent
    // FIN before the answer was ready, and real clients wait with the socket open.
    socket.on('connect', () => socket.write(request));
  });
}
