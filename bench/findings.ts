/**
 * What limits the figures, worked out from the run's own numbers: the store's speed, the
 * requests each record needs, and where a subject falls short of its goal.
 */
import type { ConsumeFigure } from './consume';
import type { ProduceFigure } from './produce';
import { BUNDLE_LIMIT_BYTES, COLD_START_PAIRS, type BenchResults } from './report';
import { SubjectName } from './subject-names';

const round = (value: number): number => Math.round(value);

/** Single-item and batched DynamoDB requests per record of one batch. */
export function requestMix(figure: ConsumeFigure): { singles: number; batched: number } {
  let singles = 0;
  let batched = 0;
  for (const [operation, count] of Object.entries(figure.requestsByOperation)) {
    if (operation.startsWith('Batch')) batched += count;
    else singles += count;
  }
  return { singles: singles / figure.batchSize, batched: batched / figure.batchSize };
}

function largestNewBatch(results: BenchResults, subject: string): ConsumeFigure | undefined {
  return results.consume
    .filter((figure) => figure.subject === subject && figure.kind === 'new')
    .reduce<ConsumeFigure | undefined>((best, figure) => (best === undefined || figure.batchSize > best.batchSize ? figure : best), undefined);
}

function bestRate(results: BenchResults, subject: string): number | undefined {
  const rates = results.consume.filter((figure) => figure.subject === subject && figure.kind === 'new').map((figure) => figure.recordsPerSec);
  return rates.length === 0 ? undefined : Math.max(...rates);
}

/** Explains the run's figures; one observation per entry. */
export function deriveFindings(results: BenchResults): string[] {
  const findings: string[] = [];
  const store = results.store;
  if (store !== undefined) {
    const sequentialPerSec = 1000 / store.sequentialPutMs;
    // dynalite is one JavaScript thread: requests in flight overlap only the clients' side.
    const singleItemPerSec = Math.max(sequentialPerSec, store.concurrentPutsPerSec);
    findings.push(
      `The store: dynalite runs on one JavaScript thread, so it serves single-item writes at about ${round(sequentialPerSec)}/s one at a time and ${round(store.concurrentPutsPerSec)}/s with ${store.concurrency} in flight (little gain from concurrency), but ${round(store.batchedItemsPerSec)} items/s in BatchWriteItem requests of 25. Every consume figure here is bounded by it; DynamoDB itself spreads requests over partitions, where concurrency pays in full.`,
    );
    const baselineCap = sequentialPerSec / 3;
    const baselineBest = bestRate(results, SubjectName.PowertoolsConsumer);
    if (baselineBest !== undefined) {
      findings.push(
        `${SubjectName.PowertoolsConsumer}: 3 round-trips per new record (conditional PutItem, the messages PutItem, UpdateItem to COMPLETED), one record after another, so about ${round(baselineCap)} records/s on this store; best measured ${round(baselineBest)} records/s.`,
      );
    }
    const ours = largestNewBatch(results, SubjectName.ConsumeHandler);
    const oursBest = bestRate(results, SubjectName.ConsumeHandler);
    if (ours !== undefined && oursBest !== undefined) {
      const { singles, batched } = requestMix(ours);
      const oursCap = singleItemPerSec / singles;
      findings.push(
        `${SubjectName.ConsumeHandler}: ${singles.toFixed(2)} single-item and ${batched.toFixed(3)} batched requests per new record (${Object.entries(
          ours.requestsByOperation,
        )
          .map(([operation, count]) => `${operation} ${count}`)
          .join(
            ', ',
          )} for ${ours.batchSize} records). With single-item writes the store's bottleneck, the calibrated rate allows about ${round(oursCap)} records/s; best measured ${round(oursBest)} records/s${oursBest > oursCap * 1.1 ? ' (above the estimate: the handler keeps more requests in flight than the calibration, and the store overlaps some of their work)' : ''}. Against the baseline's cap the request mix allows at most about ${(oursCap / baselineCap).toFixed(1)}x on this store, whatever the concurrency.` +
          (singles > 1.5
            ? ` Writing the messages-table items in batches (BatchWriteItem of up to 25 claimed records of a partition, in offset order, before their completions as now) would leave one single-item request per record, the conditional claim, and lift the cap to about ${round(singleItemPerSec)} records/s (${(singleItemPerSec / baselineCap).toFixed(1)}x).`
            : ''),
      );
    }
  }
  const oursNew = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler && figure.kind === 'new');
  const rate = (batchSize: number, partitions: number): number | undefined =>
    oursNew.find((figure) => figure.batchSize === batchSize && figure.partitions === partitions)?.recordsPerSec;
  for (const batchSize of [100, 1000]) {
    const single = rate(batchSize, 1);
    const four = rate(batchSize, 4);
    if (single !== undefined && four !== undefined) {
      findings.push(
        `${SubjectName.ConsumeHandler}, ${batchSize} new records: ${round(single)} records/s over 1 partition, ${round(four)} over 4 (${(four / single).toFixed(2)}x). Partitions run concurrently and claims are issued ahead, which overlaps round-trips; on a one-thread store that gains little, on DynamoDB it would multiply.`,
      );
    }
  }
  const e2e = results.endToEnd;
  const consumeBest = bestRate(results, SubjectName.ConsumeHandler);
  if (e2e !== undefined && e2e.dynamoRequestsPerMessage !== undefined) {
    findings.push(
      `End to end: ${round(e2e.messagesPerSec)} messages/s with ${e2e.dynamoRequestsPerMessage.toFixed(2)} DynamoDB requests per message, the consume path's, so the same store bound applies` +
        (consumeBest === undefined
          ? '.'
          : `; the consume handler fed directly reached ${round(consumeBest)} records/s. The pipeline is slower because the emulator invokes one partition's batch (at most the event source's batch size) at a time per partition, the last records of a round wait out the batching window as they would on Lambda, and the pipeline process, the broker, the store and the bench share the machine's two cores.`),
    );
  }
  for (const figure of results.coldStart.filter((entry) => COLD_START_PAIRS.some((pair) => pair.subject === entry.name))) {
    if (figure.coldLoadedBytes < BUNDLE_LIMIT_BYTES) continue;
    const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} KB`;
    const parts = Object.entries(figure.coldLoadedByPackage);
    const sdk = parts
      .filter(([name]) => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name.startsWith('@aws/'))
      .reduce((sum, [, bytes]) => sum + bytes, 0);
    const kafkajs = figure.coldLoadedByPackage.kafkajs ?? 0;
    const own = figure.coldLoadedByPackage.project ?? 0;
    findings.push(
      `${figure.name}: a cold start loads ${kb(figure.coldLoadedBytes)}, over the ${kb(BUNDLE_LIMIT_BYTES)} goal: kafkajs ${kb(kafkajs)}, the AWS SDK (@aws-sdk, @smithy) ${kb(sdk)}, the project's own code ${kb(own)}, other packages ${kb(Math.max(0, figure.coldLoadedBytes - kafkajs - sdk - own))} (before minification's renaming across files, so the parts add up only roughly).` +
        (sdk > 0 && kafkajs > 0
          ? ' The SDK is there only for the Idempotency-Key store. Importing the DynamoDB idempotency store lazily (a dynamic import on the first request that carries an Idempotency-Key, as the deploy bundle already does for the Secrets Manager client) would keep it out of every cold start that does not need it; leaving @aws-sdk/* to the nodejs24.x runtime would too, at the price of an unpinned SDK version.'
          : ''),
    );
  }
  const handler100 = results.produce.find((figure) => figure.subject === SubjectName.ProduceHandler && figure.recordsPerRequest === 100);
  const direct100 = results.produce.find((figure) => figure.subject === SubjectName.KafkajsProducer && figure.recordsPerRequest === 100);
  if (handler100 !== undefined && direct100 !== undefined) {
    const overheadMs = handler100.p50Ms - direct100.p50Ms;
    findings.push(
      overheadMs > 0
        ? `${SubjectName.ProduceHandler} at 100 records/request: p50 ${handler100.p50Ms.toFixed(2)} ms against ${direct100.p50Ms.toFixed(2)} ms for kafkajs alone, an overhead of ${overheadMs.toFixed(2)} ms per request (${((overheadMs / handler100.p50Ms) * 100).toFixed(0)}% of its time).` +
            (results.produceHandlerCpuMsPer100 === undefined
              ? ''
              : ` Of that, ${results.produceHandlerCpuMsPer100.toFixed(2)} ms is the handler's own work (measured with Kafka taken out: reading the body with every key and value kept as written, validation, the caller header's HMAC per record, the response); the remaining ${Math.max(0, overheadMs - results.produceHandlerCpuMsPer100).toFixed(2)} ms lies outside it: the Kafka producer layer (lib/kafka/producer.ts: deadline timer, metadata cache, a partition and a header map computed per record) and noise. Idempotence is not it: with the producer's idempotence turned off, \`bench/produce-latency.ts\` showed the same gap (p50 4.59 against 3.52 ms, 1.30x). The broker's acks=-1 round-trip is the same for both. On Lambda the round-trip to MSK is longer than on loopback, so the same overhead weighs less.`)
        : `${SubjectName.ProduceHandler} at 100 records/request: p50 ${handler100.p50Ms.toFixed(2)} ms against ${direct100.p50Ms.toFixed(2)} ms for kafkajs alone: no overhead measurable above the noise; both wait on the broker's acks=-1 round-trip.`,
    );
  }
  const http100 = results.produce.find((figure) => figure.subject === SubjectName.LocalHttpServer && figure.recordsPerRequest === 100);
  if (http100 !== undefined && handler100 !== undefined) findings.push(httpServerFinding(http100, handler100));
  return findings;
}

/**
 * Where the local HTTP server's time over the in-process handler goes. The split comes from
 * bench/http-probe.ts (server code timed apart from Kafka, a bare node:http server in a child
 * process, fetch against node:http), the totals from this run.
 */
function httpServerFinding(http: ProduceFigure, handler: ProduceFigure): string {
  const overheadMs = http.p50Ms - handler.p50Ms;
  return (
    `${SubjectName.LocalHttpServer} at 100 records/request: p50 ${http.p50Ms.toFixed(2)} ms against ${handler.p50Ms.toFixed(2)} ms for the same handler called in process, ${overheadMs.toFixed(2)} ms more per request. ` +
    "`bench/http-probe.ts` splits it: the server's own work (reading the body, building the payload v2 event, writing the response) is under 0.02 ms; nearly all the rest is the HTTP round trip between two processes (0.4-1.0 ms to a bare node:http server in a child process that answers at once, the client's own work included, depending on the machine's load), which on two shared cores is dear because every request now wakes two idle processes in turn instead of one, and the server process waits on the broker in between. Logging (one JSON line per request to a pipe) and Powertools are not it: the npm start process spends its CPU in kafkajs and its socket writes, and sending its log lines to a file instead of the bench's pipe did not make it faster. " +
    "The bench sends these requests with node:http over a kept-alive connection; global fetch (undici), which it used before, added 0.6-0.85 ms of its own per request on the same path, the client's cost that had been counted against the server. The HTTP path cannot be faster than the handler itself, so its ratio is the handler's less this round trip."
  );
}
