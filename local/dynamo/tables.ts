/**
 * Table definitions, shared by the local runtime, the tests and `serverless.yml`
 * (which reads the same `tables.json`), so the emulated and deployed tables never drift.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
  type KeySchemaElement,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import definitions from '../../deploy/tables.json';

/** The logical tables the project uses. */
export type TableRole = keyof typeof definitions;

/** One table's key schema and, where it expires items, its TTL attribute. */
interface TableDefinition {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  TimeToLiveAttribute?: string;
}

/** Definitions by role, as declared in `deploy/tables.json`. */
const tableDefinitions: Readonly<Record<TableRole, TableDefinition>> = definitions as Record<TableRole, TableDefinition>;

async function waitActive(client: DynamoDBClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${name} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates the tables if they do not exist (on-demand billing) and waits until they are
 * active. Used locally and in tests; deployed tables come from CloudFormation.
 *
 * Dynalite lacks UpdateTimeToLive, so TTL is not switched on here; expiry is also
 * enforced by the code that reads items, which never trusts an expired one.
 */
export async function ensureTables(client: DynamoDBClient, names: Readonly<Record<TableRole, string>>, timeoutMs = 10_000): Promise<void> {
  await Promise.all(
    (Object.keys(names) as TableRole[]).map(async (role) => {
      const name = names[role];
      const { KeySchema, AttributeDefinitions } = tableDefinitions[role];
      try {
        await client.send(new DescribeTableCommand({ TableName: name }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        try {
          await client.send(new CreateTableCommand({ TableName: name, KeySchema, AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }));
        } catch (createError) {
          // Another process created it between our describe and create: that is fine.
          if (!(createError instanceof ResourceInUseException)) throw createError;
        }
      }
      await waitActive(client, name, timeoutMs);
    }),
  );
}
