/**
 * `npm start`: the whole pipeline on this machine (see local/runtime.ts). Prints one
 * `ready http=... kafka=... dynamodb=... registry=...` line when it accepts requests, then a curl example.
 * Ctrl-C or SIGTERM stops it cleanly; a second signal exits at once.
 *
 * Logs are human-readable on a terminal and JSON lines otherwise; `--json` forces JSON.
 * `--topic T`, `--on-failure-topic T` and `--group G` override deploy/event-source.json,
 * so that two pipelines can share one broker without sharing records or a consumer group.
 * `--function-timeout S` sets the consume function's timeout in seconds (default 60, as deployed).
 */
import { systemClock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { createBatchedOutput } from '../local/batched-output';
import type { EventSourceSettings } from '../local/event-source-settings';
import { createPrettyLogger } from '../local/pretty-logger';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime';
import { createLogger, errorFields } from '../lib/logger';

// How often the one-line summary of records flowing is printed (nothing when idle).
const FLOW_SUMMARY_EVERY_MS = 5_000;
// Log lines are written together at most this long after they are logged (see local/batched-output.ts).
const LOG_FLUSH_EVERY_MS = 50;

const USAGE = 'usage: npm start -- [--json] [--topic T] [--on-failure-topic T] [--group G] [--function-timeout S]';

interface Arguments {
  json: boolean;
  eventSource: Partial<EventSourceSettings>;
  functionTimeoutMs?: number;
}

function parseArguments(args: string[]): Arguments {
  const eventSource: Partial<EventSourceSettings> = {};
  let json = false;
  let functionTimeoutMs: number | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const value = (): string => {
      const next = args[(index += 1)];
      if (next === undefined || next === '') {
        process.stderr.write(`${arg} needs a value\n${USAGE}\n`);
        process.exit(2);
      }
      return next;
    };
    if (arg === '--json') json = true;
    else if (arg === '--topic') eventSource.topic = value();
    else if (arg === '--on-failure-topic') eventSource.onFailureTopic = value();
    else if (arg === '--group') eventSource.consumerGroupId = value();
    else if (arg === '--function-timeout') {
      // Lambda's range for a function timeout: 1 to 900 seconds.
      const seconds = Number(value());
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900) {
        process.stderr.write(`--function-timeout takes whole seconds from 1 to 900\n${USAGE}\n`);
        process.exit(2);
      }
      functionTimeoutMs = seconds * 1_000;
    } else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return { json, eventSource, ...(functionTimeoutMs === undefined ? {} : { functionTimeoutMs }) };
}

const args = parseArguments(process.argv.slice(2));
const json = args.json || !process.stdout.isTTY;
const output = createBatchedOutput((text) => process.stdout.write(text), { flushEveryMs: LOG_FLUSH_EVERY_MS });
// Every way out (process.exit, a signal handled below, an uncaught error) passes here; on Linux
// stdout is written synchronously whether a pipe, a file or a terminal, so nothing queued is lost.
process.on('exit', () => output.flush());
const writeLine = (line: string): void => output.write(`${line}\n`);
const logger = json ? createLogger('info', writeLine) : createPrettyLogger('info', writeLine);

let runtime: LocalRuntime | undefined;
let stoppingSinceMs: number | undefined;
// npm and tsx pass a terminal's signal on to this process, which also gets it from the
// terminal itself: a copy within this window is the same request, not a second Ctrl-C.
const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;

const shutdown = (signal: string): void => {
  if (stoppingSinceMs !== undefined) {
    if (systemClock.nowMs() - stoppingSinceMs < DUPLICATE_SIGNAL_WINDOW_MS) return;
    logger.warn(`${signal} again: exiting without a clean stop`);
    process.exit(1);
  }
  stoppingSinceMs = systemClock.nowMs();
  logger.info(`${signal}: stopping`);
  // During start-up there is nothing to stop yet: a broker started here dies with this
  // process (its watchdog), and the store lives in this process.
  void (runtime?.stop() ?? Promise.resolve()).then(
    () => {
      logger.info('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error('stopping failed', errorFields(error));
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  runtime = await startLocalRuntime({
    logger,
    eventSource: args.eventSource,
    flowSummaryEveryMs: FLOW_SUMMARY_EVERY_MS,
    ...(args.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: args.functionTimeoutMs }),
  });
} catch (error) {
  // A ConfigError or a broker that cannot start carries a message meant for the user.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start failed: ${message}\n`);
  if (!(error instanceof AppError)) logger.error('start-up failed', errorFields(error));
  process.exit(1);
}

const { httpUrl, settings } = runtime;
// The start-up lines come before the ready line, which is written directly.
output.flush();
process.stdout.write(`${runtime.readyLine}\n`);
process.stdout.write(
  [
    '',
    'Try it:',
    `  curl -s -X POST ${httpUrl}/topics/${settings.topic} \\`,
    `    -H 'Content-Type: application/vnd.kafka.json.v2+json' \\`,
    `    -d '{"records":[{"key":"user-1","value":{"hello":"world"}}]}'`,
    `  npm run inspect -- ${settings.topic} --from-beginning`,
    `  npm run inspect -- ${settings.onFailureTopic} --from-beginning   # records that exhausted their retries`,
    '  npm run redrive                                     # what a redrive of them would do (--apply to do it)',
    `  # Avro, Protobuf and JSON Schema records with the registry above: docs/api.md, "Schema formats"`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);
