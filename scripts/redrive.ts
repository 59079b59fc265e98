/**
 * `npm run redrive -- [--dry-run | --apply] [--reason TEXT]... [--partition N]... [--from-offset N]
 * [--to-offset N] [--limit N] [--topic T] [--group G]`: reads Lambda's failure records from the
 * on-failure topic (deploy/event-source.json's) and shows what a redrive would do (the default),
 * or with --apply produces the failed records back to their source topics, resumably
 * (local/redrive.ts). Prints the summary as one JSON line on stdout.
 */
import { getConfig } from '../lib/config';
import { refuse, wholeNumberArgument } from './arguments';
import { createLogger } from '../lib/logger';
import { readEventSourceSettings } from '../local/event-source-settings';
import { redrive, redriveGroupId, type RedriveFilters } from '../local/redrive';

const USAGE =
  'usage: npm run redrive -- [--dry-run | --apply] [--reason TEXT]... [--partition N]... [--from-offset N] [--to-offset N] [--limit N] [--topic T] [--group G]';

interface Arguments {
  apply: boolean;
  filters: RedriveFilters;
  limit?: number;
  topic?: string;
  groupId?: string;
}

function fail(message: string): never {
  return refuse(message, USAGE);
}

function wholeNumber(flag: string, value: string | undefined, min: number): number {
  return wholeNumberArgument(flag, value, min, USAGE);
}

function text(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') fail(`${flag} needs a value`);
  return value;
}

function parseArguments(args: string[]): Arguments {
  const parsed: Arguments = { apply: false, filters: {} };
  const reasons: string[] = [];
  const partitions: number[] = [];
  let mode: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const value = (): string | undefined => args[(index += 1)];
    if (arg === '--dry-run' || arg === '--apply') {
      if (mode !== undefined && mode !== arg) fail('--dry-run and --apply exclude each other');
      mode = arg;
      parsed.apply = arg === '--apply';
    } else if (arg === '--reason') reasons.push(text(arg, value()));
    else if (arg === '--partition') partitions.push(wholeNumber(arg, value(), 0));
    else if (arg === '--from-offset') parsed.filters.fromOffset = wholeNumber(arg, value(), 0);
    else if (arg === '--to-offset') parsed.filters.toOffset = wholeNumber(arg, value(), 0);
    else if (arg === '--limit') parsed.limit = wholeNumber(arg, value(), 1);
    else if (arg === '--topic') parsed.topic = text(arg, value());
    else if (arg === '--group') parsed.groupId = text(arg, value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  if (reasons.length > 0) parsed.filters.reasons = reasons;
  if (partitions.length > 0) parsed.filters.partitions = partitions;
  const { fromOffset, toOffset } = parsed.filters;
  if (fromOffset !== undefined && toOffset !== undefined && fromOffset > toOffset) fail('--from-offset is after --to-offset');
  return parsed;
}

const args = parseArguments(process.argv.slice(2));
// Diagnostics go to stderr: stdout carries only the summary.
const logger = createLogger('warn', (line) => process.stderr.write(`${line}\n`));
const settings = readEventSourceSettings();
try {
  const summary = await redrive({
    config: getConfig(),
    logger,
    onFailureTopic: args.topic ?? settings.onFailureTopic,
    groupId: args.groupId ?? redriveGroupId(settings.consumerGroupId, args.filters),
    apply: args.apply,
    filters: args.filters,
    ...(args.limit === undefined ? {} : { limit: args.limit }),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  const verb = summary.mode === 'apply' ? `redrove ${summary.redriven}` : `would redrive ${summary.matched}`;
  process.stderr.write(
    `${verb} of ${summary.read} failure record(s) on ${summary.onFailureTopic} (group ${summary.groupId}); ` +
      `passed over ${summary.passedOver}, without payload ${summary.withoutPayload}, unreadable ${summary.unreadable}` +
      `${summary.nullHeadersLeftOut === 0 ? '' : `; ${summary.nullHeadersLeftOut} null header value(s) without a name left out`}` +
      `${summary.oldest === undefined ? '' : `; failed between ${summary.oldest} and ${summary.newest}`}\n`,
  );
  for (const [reason, count] of Object.entries(summary.reasons)) process.stderr.write(`  ${count}  ${reason}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`redrive failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
