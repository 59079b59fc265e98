/**
 * `npm run inspect -- <topic> [--from-beginning] [--limit N] [--group G] [--idle-ms MS]`:
 * prints a topic's records as JSON lines with a throwaway consumer group, never the consume
 * function's. Without --from-beginning it shows new records until --limit or --idle-ms
 * (default 5000) of silence; with it, it stops once it has read what the topic held at start.
 * Keys and values framed for a schema registry are decoded with SCHEMA_REGISTRY_URL's, or by
 * default with the one `npm start` runs (its usual port).
 */
import { getConfig } from '../lib/config';
import { refuse, wholeNumberArgument } from './arguments';
import { readEventSourceSettings } from '../local/event-source-settings';
import { inspectTopic } from '../local/inspect';
import { createLogger } from '../lib/logger';
import { ConfluentSchemaRegistry } from '../lib/schema/registry-client';
import { Schemas } from '../lib/schema/schemas';
import { CCOMPAT_PATH, DEFAULT_REGISTRY_PORT } from '../local/registry';

const USAGE = 'usage: npm run inspect -- <topic> [--from-beginning] [--limit N] [--group G] [--idle-ms MS]';

interface Arguments {
  topic: string;
  fromBeginning: boolean;
  limit?: number;
  groupId?: string;
  idleMs: number;
}

function fail(message: string): never {
  return refuse(message, USAGE);
}

function wholeNumber(flag: string, value: string | undefined, min: number): number {
  return wholeNumberArgument(flag, value, min, USAGE);
}

function parseArguments(args: string[]): Arguments {
  let topic: string | undefined;
  const parsed: Omit<Arguments, 'topic'> = { fromBeginning: false, idleMs: 5_000 };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--from-beginning') parsed.fromBeginning = true;
    else if (arg === '--limit') parsed.limit = wholeNumber(arg, args[(index += 1)], 1);
    else if (arg === '--idle-ms') parsed.idleMs = wholeNumber(arg, args[(index += 1)], 1);
    else if (arg === '--group') {
      const group = args[(index += 1)];
      if (group === undefined || group === '') fail('--group needs a name');
      parsed.groupId = group;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else if (topic === undefined) topic = arg;
    else fail(`unexpected argument ${arg}`);
  }
  if (topic === undefined) fail('a topic is required');
  return { topic, ...parsed };
}

const args = parseArguments(process.argv.slice(2));
// Diagnostics go to stderr: stdout carries only the records.
const logger = createLogger('warn', (line) => process.stderr.write(`${line}\n`));
// Ctrl-C ends the reading cleanly: the throwaway group leaves and is removed.
const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.once('SIGTERM', () => interrupted.abort());
const config = getConfig();
const registry = config.schemaRegistry ?? { url: `http://127.0.0.1:${DEFAULT_REGISTRY_PORT}${CCOMPAT_PATH}`, timeoutMs: 2_000 };
try {
  const printed = await inspectTopic({
    signal: interrupted.signal,
    config,
    decoder: new Schemas(new ConfluentSchemaRegistry(registry)),
    ...args,
    forbiddenGroups: [readEventSourceSettings().consumerGroupId],
    write: (line) => process.stdout.write(`${line}\n`),
    logger,
  });
  process.stderr.write(`${printed} record(s) from ${args.topic}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`inspect failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
