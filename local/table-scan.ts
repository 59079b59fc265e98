/**
 * `npm run table`: a table's items as JSON lines, for seeing what the pipeline wrote to the
 * local store (the messages table is where the default processor's effects land).
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One JSON value of an item, numbers kept as the digits DynamoDB holds. */
type Printable = string | boolean | null | RawNumber | Printable[] | { [name: string]: Printable };

/** A DynamoDB number as its digits: DynamoDB numbers carry 38 significant digits, a JavaScript number 15 to 17. */
class RawNumber {
  constructor(readonly digits: string) {}
}

/** Options for {@link scanTable}. */
export interface ScanTableOptions {
  client: DynamoDBClient;
  table: string;
  /** The most items to print; all when absent. */
  limit?: number;
  /** Receives one JSON line per item. */
  write(line: string): void;
}

/**
 * Converts one attribute value to JSON: numbers digit for digit, binary as base64, sets as
 * arrays.
 */
export function attributeToJson(value: AttributeValue): Printable {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return new RawNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.B !== undefined) return Buffer.from(value.B).toString('base64');
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map((digits) => new RawNumber(digits));
  if (value.BS !== undefined) return value.BS.map((bytes) => Buffer.from(bytes).toString('base64'));
  if (value.L !== undefined) return value.L.map(attributeToJson);
  if (value.M !== undefined) return itemToJson(value.M);
  throw new Error(`unknown attribute type ${Object.keys(value).join(',')}`);
}

function itemToJson(item: Record<string, AttributeValue>): { [name: string]: Printable } {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, attributeToJson(value)]));
}

/** JSON text of a converted value, with each number written as its own digits. */
export function printableToText(value: Printable): string {
  if (value instanceof RawNumber) return value.digits;
  if (Array.isArray(value)) return `[${value.map(printableToText).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([name, member]) => `${JSON.stringify(name)}:${printableToText(member)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Prints a table's items, one JSON line each, page by page.
 *
 * @returns how many items were printed.
 */
export async function scanTable(options: ScanTableOptions): Promise<number> {
  let printed = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await options.client.send(
      new ScanCommand({
        TableName: options.table,
        ExclusiveStartKey: startKey,
        ...(options.limit === undefined ? {} : { Limit: options.limit - printed }),
      }),
    );
    for (const item of page.Items ?? []) {
      options.write(printableToText(itemToJson(item)));
      printed += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && (options.limit === undefined || printed < options.limit));
  return printed;
}
