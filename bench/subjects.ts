/**
 * Loads the project's runtimes for measurement. They are imported when the bench runs, not
 * when it is compiled, so that a checkout lacking one (while it is being written) still runs
 * the other measurements and says in the report what it could not measure.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';

/** The produce runtime's shape (lib/produce/index.ts). */
export interface ProduceRuntimeLike {
  handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  close(): Promise<void>;
}

/** The consume runtime's shape (lib/consume/index.ts). */
export interface ConsumeRuntimeLike {
  handler(
    event: unknown,
    context?: { awsRequestId?: string },
  ): Promise<{ batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[] }>;
  close(): Promise<void>;
}

type ProduceModule = {
  createProduceRuntime(config: AppConfig, options?: { logger?: Logger }): ProduceRuntimeLike;
};
type ConsumeModule = {
  createConsumeRuntime(config: AppConfig, options?: { logger?: Logger }): ConsumeRuntimeLike;
};

/** Imports a module of this project by its path from the repository root, or undefined when it is absent. */
export async function importOptional<T>(pathFromRoot: string): Promise<T | undefined> {
  const url = new URL(`../${pathFromRoot}`, import.meta.url).href;
  try {
    return (await import(url)) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(pathFromRoot.replace(/\.ts$/, ''))) {
      return undefined;
    }
    throw error;
  }
}

/** `createProduceRuntime`, or undefined when lib/produce is not there yet. */
export async function loadProduceRuntime(): Promise<ProduceModule['createProduceRuntime'] | undefined> {
  return (await importOptional<ProduceModule>('lib/produce/index.ts'))?.createProduceRuntime;
}

/** `createConsumeRuntime`, or undefined when lib/consume is not there yet. */
export async function loadConsumeRuntime(): Promise<ConsumeModule['createConsumeRuntime'] | undefined> {
  return (await importOptional<ConsumeModule>('lib/consume/index.ts'))?.createConsumeRuntime;
}
