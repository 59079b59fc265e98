/**
 * `npm run bench`: every measurement in one run, against one broker and one store, each
 * subject beside the baseline it is compared with. Writes bench/results.json, bench/RESULTS.md
 * and bench/results.svg.
 *
 * Flags: `--quick` (one to three rounds, fewer sizes and shapes: a smoke run, not figures to quote) and
 * `--only=store,produce,consume,schemas,cold-start,end-to-end` (a subset). Either writes its report
 * to bench/.tmp/ instead, so that bench/RESULTS.md always comes from a full run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createDynamoClient } from '../lib/dynamo/client';
import { ensureTables } from '../local/dynamo/tables';
import { ensureTopics } from '../local/kafka/admin';
import { createKafka } from '../lib/kafka/client';
import { createLogger, silentLogger } from '../lib/logger';
import { Bundler, measureColdStarts, type ColdStartEntry } from './cold-start';
import { countItems, measureConsume, type ConsumeShape, type ConsumeSubject } from './consume';
import { measureEndToEnd } from './end-to-end';
import { deriveFindings } from './findings';
import { machineDetails } from './machine';
import { createPowertoolsConsumer } from './baselines/powertools-consumer';
import {
  handlerSubject,
  handlerV3Subject,
  httpSubject,
  kafkajsMessageIdOnlySubject,
  kafkajsSubject,
  measureProduce,
  measureTurns,
  produceEvent,
  type ProduceSize,
  type ProduceSubject,
} from './produce';
import { makeRecords, mskEvent, produceRequestBody } from './records';
import { COLD_START_PAIRS, GOAL_RECORDS_PER_REQUEST, goalFigures, writeReport, type BenchResults } from './report';
import { compareGoalFigures, formatDifferences } from './stability';
import { benchConfig, benchName, pipelineEnv, startBenchServices, type BenchServices } from './services';
import { calibrateStore } from './store-calibration';
import { measureHandlerCpu } from './produce-cpu';
import { FLAME_GRAPH_FILE, profileProduceHandler } from './produce-profile';
import { SubjectName } from './subject-names';
import { measureSchemaFormats } from './schema-formats';
import { externalServices } from '../lib/config';
import { createProduceRuntime } from '../lib/produce';
import { createCallerKeySource } from '../lib/caller-mac/key-source';
import { createConsumeRuntime } from '../lib/consume';
import { hasPipeline, startPipeline, type Pipeline } from './pipeline';
import { createProgress } from '../local/progress';
import { startSecretsStandIn, type SecretsStandIn } from '../local/secrets-manager-stand-in';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The topic the local event source emulator feeds to the consume function (one file, shared with serverless.yml). */
function eventSourceTopic(): string {
  const file = new URL('../deploy/event-source.json', import.meta.url);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { topic: string }).topic : 'events';
}
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((arg) => arg.startsWith('--only='));
const only = onlyArg === undefined ? undefined : new Set(onlyArg.slice('--only='.length).split(','));
const wanted = (part: string): boolean => only === undefined || only.has(part);

const logger = createLogger('info', (line) => process.stderr.write(`[bench] ${line}\n`));
const PARTS = ['store', 'produce', 'consume', 'schemas', 'cold-start', 'end-to-end'] as const;
const progress = createProgress({ label: 'bench', steps: PARTS.filter(wanted).length });

// Round counts: every round runs each subject once (order rotating), and a goal ratio is the
// median of the per-round quotients subject/baseline. They are chosen so that two consecutive
// full runs agree within 0.05 on every goal ratio (check with `npm run bench:compare`), while
// the whole run stays within about four minutes. A round at 100 records/request takes about
// 0.4 s for all five subjects (two kafkajs baselines, the handler on v2 and v3, the HTTP
// server), so the goal size gets many short rounds (51); 10 and 500 records/request, which the handler has goals at too, get 41 (a round there takes 0.1 and
// 0.2 s); 1 record/request, which no goal reads, gets 15. Consume rounds are long (a 1000-record batch takes the baseline
// about 4 s, new and again duplicate), and one batch already averages over many requests:
// 21 rounds for 100-record batches, 5 for 1000-record ones.
const settings = {
  quick,
  produceSizes: (quick
    ? [
        { recordsPerRequest: 1, requestsPerRound: 20, rounds: 1 },
        { recordsPerRequest: 100, requestsPerRound: 10, rounds: 3 },
      ]
    : [
        { recordsPerRequest: 1, requestsPerRound: 40, rounds: 15 },
        { recordsPerRequest: 10, requestsPerRound: 30, rounds: 41 },
        { recordsPerRequest: 100, requestsPerRound: 20, rounds: 51 },
        { recordsPerRequest: 500, requestsPerRound: 6, rounds: 41 },
      ]) satisfies ProduceSize[],
  consumeShapes: (quick
    ? [
        { batchSize: 100, partitions: 1, rounds: 1 },
        { batchSize: 100, partitions: 4, rounds: 1 },
      ]
    : [
        { batchSize: 100, partitions: 1, rounds: 21 },
        { batchSize: 100, partitions: 4, rounds: 21 },
        { batchSize: 1000, partitions: 1, rounds: 5 },
        { batchSize: 1000, partitions: 4, rounds: 5 },
      ]) satisfies ConsumeShape[],
  // Avro against json (bench/schema-formats.ts): paired rounds of 100-record requests and batches; 41, as the
  // produce sizes get, since a round's quotient spread from 0.55 to 1.24 and 15 of them left the median uncertain by 0.1.
  schemaFormats: quick
    ? { rounds: 2, requestsPerRound: 5, batchesPerRound: 3, recordsPerRequest: 100 }
    : { rounds: 41, requestsPerRound: 10, batchesPerRound: 5, recordsPerRequest: 100 },
  // v3 against v2 in turns (bench/produce.ts measureTurns): a round's quotient spreads about 0.1, so 51 rounds of 20
  // request pairs (about 3 s at 100 records/request) bring the median within about 0.02 of the next run's.
  v3Turns: quick
    ? { recordsPerRequest: GOAL_RECORDS_PER_REQUEST, requestsPerRound: 10, rounds: 3 }
    : { recordsPerRequest: GOAL_RECORDS_PER_REQUEST, requestsPerRound: 20, rounds: 51 },
  produceCpuRounds: quick ? 1 : 3,
  profileRequests: quick ? 60 : 520,
  coldStartRounds: quick ? 1 : 5,
  endToEndMessages: quick ? 500 : 2000,
  endToEndRounds: quick ? 1 : 3,
};

/** Where this run's results go: bench/ for a full run, bench/.tmp/ for a quick or partial one. */
function resultsFolder(): string {
  return quick || only !== undefined ? join('bench', '.tmp') : 'bench';
}

async function produce(services: BenchServices, results: BenchResults, pipeline: Pipeline | undefined): Promise<void> {
  const topic = benchName('produce');
  await ensureTopics(createKafka(benchConfig(services).kafka, { logger: silentLogger }), [{ topic, numPartitions: 4 }]);
  const config = benchConfig(services);
  // The baseline sends what the handler writes, caller header included, stamped with the key ring the handler's configuration names.
  const ring = await createCallerKeySource(config.callerKeys).keys();
  const subjects: ProduceSubject[] = [
    await kafkajsSubject(services.kafkaBrokers, topic, ring),
    await kafkajsMessageIdOnlySubject(services.kafkaBrokers, topic),
  ];
  await ensureTables(createDynamoClient(config.aws), config.tables);
  const handlerRuntime = createProduceRuntime(config, { logger: silentLogger });
  const v2 = handlerSubject(handlerRuntime, topic);
  // The v3 records route beside v2, each on a runtime of its own, in the same rounds.
  const v3 = handlerV3Subject(createProduceRuntime(config, { logger: silentLogger }), topic, await clusterIdOf(services));
  subjects.push(v2, v3);
  if (pipeline !== undefined) subjects.push(httpSubject(pipeline.httpUrl, topic, async () => undefined));
  try {
    results.produce = await measureProduce(subjects, settings.produceSizes, (done, total) => progress.advance(done, total, 'rounds'));
    // The v3 goal: v3 against v2 taking turns request by request, which two handlers in one process need (see measureTurns).
    results.produceV3Turns = await measureTurns(v3, v2, settings.v3Turns);
    results.produceHandlerCpuMsPer100 = await measureHandlerCpu(config, 100, quick ? 100 : 500, settings.produceCpuRounds);
    // The flame graph goes beside the run's other results; the raw profile stays out of the repository.
    mkdirSync(join(ROOT, 'bench', '.tmp'), { recursive: true });
    await profileProduceHandler(handlerRuntime, topic, {
      recordsPerRequest: GOAL_RECORDS_PER_REQUEST,
      requests: settings.profileRequests,
      folder: join(ROOT, resultsFolder()),
      profileFolder: join(ROOT, 'bench', '.tmp'),
    });
    results.produceFlameGraph = FLAME_GRAPH_FILE;
  } finally {
    for (const subject of subjects) await subject.close();
  }
}

/** The cluster's id, as a v3 client reads it (GET /v3/clusters). */
async function clusterIdOf(services: BenchServices): Promise<string> {
  const admin = createKafka(benchConfig(services).kafka, { logger: silentLogger }).admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}

async function consume(services: BenchServices, results: BenchResults): Promise<void> {
  const topic = benchName('consume');
  const subjects: ConsumeSubject[] = [];
  const config = benchConfig(services);
  await ensureTables(createDynamoClient(config.aws), config.tables);
  const runtime = createConsumeRuntime(config, { logger: silentLogger });
  let invocation = 0;
  subjects.push({
    name: SubjectName.ConsumeHandler,
    messagesTable: config.tables.messages,
    handle: (event) => runtime.handler(event, { awsRequestId: `bench-${invocation++}` }),
    close: () => runtime.close(),
  });
  const baselineConfig = benchConfig(services);
  await ensureTables(createDynamoClient(baselineConfig.aws), baselineConfig.tables);
  const baseline = createPowertoolsConsumer({
    region: baselineConfig.aws.region,
    endpoint: services.store.endpoint,
    idempotencyTable: baselineConfig.tables.idempotency,
    messagesTable: baselineConfig.tables.messages,
  });
  subjects.push({
    name: SubjectName.PowertoolsConsumer,
    messagesTable: baselineConfig.tables.messages,
    handle: (event) => baseline(event),
    close: async () => undefined,
  });
  try {
    const { figures, newRecordsBySubject } = await measureConsume(
      subjects,
      SubjectName.PowertoolsConsumer,
      services.store,
      settings.consumeShapes,
      topic,
      (done, total) => progress.advance(done, total, 'rounds'),
    );
    results.consume = figures;
    const client = createDynamoClient(baselineConfig.aws);
    for (const subject of subjects) {
      const expected = newRecordsBySubject.get(subject.name) ?? 0;
      const written = await countItems(client, subject.messagesTable);
      const verdict = written === expected ? 'as expected' : 'MISMATCH';
      results.checks.push(
        `${subject.name}: ${written} items in its messages table for ${expected} distinct new records, duplicates included in the input (${verdict}).`,
      );
    }
  } finally {
    for (const subject of subjects) await subject.close();
  }
}

async function coldStart(services: BenchServices, results: BenchResults): Promise<void> {
  const topic = benchName('cold');
  await ensureTopics(createKafka(benchConfig(services).kafka, { logger: silentLogger }), [{ topic, numPartitions: 1 }]);
  // In Lambda the functions read their caller keys from Secrets Manager on the first event; a stand-in answers here.
  const secrets = await startSecretsStandIn({
    [COLD_START_CALLER_KEYS]: JSON.stringify({ current: 'bench', keys: { bench: randomBytes(32).toString('base64') } }),
  });
  try {
    await measureColdStartPairs(services, results, topic, secrets);
  } finally {
    await secrets.close();
  }
}

/** The caller key secret the cold-start runs name (answered by the stand-in). */
const COLD_START_CALLER_KEYS = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-caller-keys';

/** The event as API Gateway's IAM authorizer hands it over: in Lambda a request without a caller is refused. */
function asIamCaller(event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const iam = { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEBENCH', callerId: 'AIDAEXAMPLEBENCH' };
  return { ...event, requestContext: { ...event.requestContext, authorizer: { iam } } as APIGatewayProxyEventV2['requestContext'] };
}

async function measureColdStartPairs(services: BenchServices, results: BenchResults, topic: string, secrets: SecretsStandIn): Promise<void> {
  const entries: ColdStartEntry[] = [];
  const add = (name: string, entry: string, kind: 'produce' | 'consume', bundler: Bundler): void => {
    if (!existsSync(join(ROOT, entry))) {
      results.unavailable.push(`cold start of ${name}: ${entry} is not in this checkout`);
      return;
    }
    const config = benchConfig(services);
    entries.push({
      name,
      entry,
      bundler,
      event: kind === 'produce' ? asIamCaller(produceEvent(topic, produceRequestBody(makeRecords(1, name)))) : mskEvent(topic, 1, makeRecords(1, name)),
      env: {
        ...secrets.env,
        CALLER_KEY_SECRET_ARN: COLD_START_CALLER_KEYS,
        AWS_LAMBDA_FUNCTION_NAME: name.replaceAll(/[^A-Za-z0-9-]/g, '-'),
        AWS_REGION: config.aws.region,
        KAFKA_BROKERS: services.kafkaBrokers.join(','),
        DYNAMODB_ENDPOINT: services.store.endpoint,
        IDEMPOTENCY_TABLE: config.tables.idempotency,
        MESSAGES_TABLE: config.tables.messages,
        ALLOWED_TOPICS: topic,
      },
    });
  };
  const [producePair, consumePair] = COLD_START_PAIRS;
  add(producePair.subject, 'functions/produce.ts', 'produce', Bundler.Deploy);
  add(producePair.baseline, 'bench/baselines/kafkajs-produce-handler.ts', 'produce', Bundler.Bench);
  add(consumePair.subject, 'functions/consume.ts', 'consume', Bundler.Deploy);
  add(consumePair.baseline, 'bench/baselines/powertools-consume-handler.ts', 'consume', Bundler.Bench);
  const client = createDynamoClient({ region: 'us-east-1', dynamoEndpoint: services.store.endpoint });
  for (const entry of entries) await ensureTables(client, { idempotency: entry.env.IDEMPOTENCY_TABLE as string, messages: entry.env.MESSAGES_TABLE as string });
  results.coldStart = await measureColdStarts(
    entries,
    settings.coldStartRounds,
    (entry, result) => {
      const shaped = result as { statusCode?: number; batchItemFailures?: unknown[]; body?: string };
      const ok = 'statusCode' in shaped ? shaped.statusCode === 200 : shaped.batchItemFailures?.length === 0;
      if (!ok) throw new Error(`the first invocation of ${entry.name} did not succeed: ${JSON.stringify(result).slice(0, 500)}`);
    },
    (done, total) => progress.advance(done, total, 'cold starts'),
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const services = await startBenchServices(logger);
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    durationSec: 0,
    machine: machineDetails({ kafkaBrokers: services.kafkaBrokers, kafkaStarted: services.kafkaStarted, dynamoStarted: services.dynamoStarted }),
    settings,
    produce: [],
    consume: [],
    coldStart: [],
    checks: [],
    unavailable: [],
    findings: [],
  };
  const step = async (name: string, part: () => Promise<void>): Promise<void> => {
    if (!wanted(name)) return;
    const stepStarted = performance.now();
    progress.step(name);
    logger.info(`measuring ${name}`);
    try {
      await part();
      logger.info(`measured ${name}`, { durationMs: Math.round(performance.now() - stepStarted) });
    } catch (error) {
      // One broken part must not cost the figures of the others; the report says what failed.
      logger.error(`measuring ${name} failed`, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      results.unavailable.push(`${name}: failed with ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      process.exitCode = 1;
    }
  };
  let pipeline: Pipeline | undefined;
  let pipelineTables: { idempotency: string; messages: string } | undefined;
  try {
    await step('store', async () => {
      results.store = await calibrateStore(services.store.endpoint, benchName('calibration'), quick);
    });
    if (wanted('produce') || wanted('end-to-end')) {
      if (!hasPipeline()) results.unavailable.push('local HTTP server and end to end: scripts/start.ts is not in this checkout');
      else {
        const config = benchConfig(services);
        pipelineTables = config.tables;
        await ensureTables(createDynamoClient(config.aws), config.tables);
        pipeline = await startPipeline(await pipelineEnv(services, config));
      }
    }
    await step('produce', () => produce(services, results, pipeline));
    await step('consume', () => consume(services, results));
    await step('schemas', async () => {
      results.schemaFormats = await measureSchemaFormats(services, logger, settings.schemaFormats, externalServices().schemaRegistryUrl);
    });
    await step('cold-start', () => coldStart(services, results));
    await step('end-to-end', async () => {
      if (pipeline === undefined || pipelineTables === undefined) return;
      results.endToEnd = await measureEndToEnd(
        pipeline.httpUrl,
        eventSourceTopic(),
        createDynamoClient({ region: 'us-east-1', dynamoEndpoint: services.store.endpoint }),
        pipelineTables.messages,
        settings.endToEndMessages,
        settings.endToEndRounds,
        () => services.store.snapshot(),
      );
    });
  } finally {
    progress.finish();
    await pipeline?.stop();
    await services.stop();
  }
  results.durationSec = (performance.now() - started) / 1000;
  results.findings = deriveFindings(results);
  // Only a full run replaces the published results; a quick or partial one goes to bench/.tmp/.
  const folder = resultsFolder();
  mkdirSync(join(ROOT, folder), { recursive: true });
  const previousFile = join(ROOT, folder, 'results.json');
  const previous = existsSync(previousFile) ? (JSON.parse(readFileSync(previousFile, 'utf8')) as BenchResults) : undefined;
  const goals = writeReport(join(ROOT, folder), results);
  if (previous !== undefined) {
    // The run before this one, to see at a glance whether the goal ratios hold still.
    process.stdout.write(`goal figures, the previous run (${previous.generatedAt}) against this one:\n`);
    process.stdout.write(`${formatDifferences(compareGoalFigures(goalFigures(previous), goalFigures(results))).join('\n')}\n`);
  }
  for (const goal of goals) process.stdout.write(`${goal.met === null ? 'n/a ' : goal.met ? 'MET ' : 'MISS'} ${goal.goal}: ${goal.figure}\n`);
  process.stdout.write(`wrote ${folder}/results.json, ${folder}/RESULTS.md and ${folder}/results.svg in ${Math.round(results.durationSec)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
