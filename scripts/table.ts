/**
 * `npm run table -- <table> [--limit N] [--endpoint URL]`: prints a table of the local store as
 * JSON lines (numbers digit for digit, binary as base64). The store is `--endpoint`, else
 * `DYNAMODB_ENDPOINT`, else the one `npm start` runs on its default port.
 */
import { getConfig } from '../lib/config';
import { createDynamoClient } from '../lib/dynamo/client';
import { scanTable } from '../local/table-scan';

const USAGE = 'usage: npm run table -- <table> [--limit N] [--endpoint URL]';
const DEFAULT_ENDPOINT = 'http://127.0.0.1:8000';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

interface Arguments {
  table: string;
  limit?: number;
  endpoint?: string;
}

function parseArguments(args: string[]): Arguments {
  let table: string | undefined;
  const parsed: Omit<Arguments, 'table'> = {};
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--limit') {
      const value = args[(index += 1)];
      if (value === undefined || !/^[1-9]\d*$/.test(value)) fail('--limit needs a whole number of at least 1');
      parsed.limit = Number(value);
    } else if (arg === '--endpoint') {
      const value = args[(index += 1)];
      if (value === undefined || !/^https?:\/\//.test(value)) fail('--endpoint needs an http(s) URL');
      parsed.endpoint = value;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else if (table === undefined) table = arg;
    else fail(`unexpected argument ${arg}`);
  }
  if (table === undefined) fail('a table is required (messages or idempotency)');
  return { table, ...parsed };
}

const args = parseArguments(process.argv.slice(2));
const config = getConfig();
const endpoint = args.endpoint ?? config.aws.dynamoEndpoint ?? DEFAULT_ENDPOINT;
const client = createDynamoClient({ region: config.aws.region, dynamoEndpoint: endpoint });
try {
  const printed = await scanTable({ client, table: args.table, limit: args.limit, write: (line) => process.stdout.write(`${line}\n`) });
  process.stderr.write(`${printed} item(s) from ${args.table}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`table failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
