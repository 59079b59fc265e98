/** The schema formats a registry holds, under the names Confluent's API and Lambda's metadata use. */
export const SchemaFormat = {
  Avro: 'AVRO',
  Protobuf: 'PROTOBUF',
  Json: 'JSON',
} as const;
export type SchemaFormat = (typeof SchemaFormat)[keyof typeof SchemaFormat];

/** A schema another one imports, as Confluent's `references` name it: the import's name, and where the registry holds it. */
export interface SchemaReference {
  /** The name the schema imports it by (a Protobuf import path such as `shop/money.proto`). */
  name: string;
  subject: string;
  version: number;
}

/** A schema as the registry holds it. */
export interface RegisteredSchema {
  id: number;
  format: SchemaFormat;
  /** The schema's text (Avro JSON, `.proto` source or JSON Schema). */
  schema: string;
  /** The schemas it imports; absent when none. */
  references?: SchemaReference[];
}

/** The format named by a registry's `schemaType` (absent means Avro, as Confluent defines it); undefined for one this project does not read. */
export function schemaFormatOf(schemaType: unknown): SchemaFormat | undefined {
  if (schemaType === undefined || schemaType === null) return SchemaFormat.Avro;
  const formats: readonly unknown[] = Object.values(SchemaFormat);
  return formats.includes(schemaType) ? (schemaType as SchemaFormat) : undefined;
}
