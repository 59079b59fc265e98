/**
 * What limits the figures, worked out from the run's own numbers: the store's ceiling, the
 * requests each record needs, and where a subject falls short of its goal.
 */
import type { BenchResults } from './report';
import { SubjectName } from './subject-names';

const round = (value: number): number => Math.round(value);

/** Explains the run's figures; one sentence per observation. */
export function deriveFindings(results: BenchResults): string[] {
  const findings: string[] = [];
  const store = results.store;
  if (store !== undefined) {
    const sequentialCeiling = 1000 / store.sequentialPutMs;
    for (const subject of [SubjectName.PowertoolsConsumer, SubjectName.ConsumeHandler]) {
      const figures = results.consume.filter((figure) => figure.subject === subject && figure.kind === 'new');
      if (figures.length === 0) continue;
      const requestsPerRecord = Math.max(...figures.map((figure) => figure.dynamoRequestsPerRecord));
      const best = Math.max(...figures.map((figure) => figure.recordsPerSec));
      findings.push(
        `${subject}: ${requestsPerRecord.toFixed(2)} DynamoDB requests per new record. One request at a time the store allows about ${round(sequentialCeiling / requestsPerRecord)} records/s; with ${store.concurrency} in flight about ${round(store.concurrentPutsPerSec / requestsPerRecord)} records/s. Best measured: ${round(best)} records/s.`,
      );
    }
  }
  const ours = results.consume.filter((figure) => figure.subject === SubjectName.ConsumeHandler && figure.kind === 'new');
  const oneBatch = (batchSize: number, partitions: number): number | undefined =>
    ours.find((figure) => figure.batchSize === batchSize && figure.partitions === partitions)?.recordsPerSec;
  for (const batchSize of [100, 1000]) {
    const single = oneBatch(batchSize, 1);
    const four = oneBatch(batchSize, 4);
    if (single !== undefined && four !== undefined) {
      findings.push(
        `consume handler, ${batchSize} new records: ${round(single)} records/s over 1 partition, ${round(four)} over 4 (${(four / single).toFixed(2)}x); partitions run concurrently, so any gain beyond 1x comes from overlapping store round-trips, bounded by the store's ceiling above.`,
      );
    }
  }
  const handler100 = results.produce.find((figure) => figure.subject === SubjectName.ProduceHandler && figure.recordsPerRequest === 100);
  const direct100 = results.produce.find((figure) => figure.subject === SubjectName.KafkajsProducer && figure.recordsPerRequest === 100);
  if (handler100 !== undefined && direct100 !== undefined) {
    const overheadMs = handler100.p50Ms - direct100.p50Ms;
    findings.push(
      overheadMs > 0
        ? `produce handler at 100 records/request: p50 ${handler100.p50Ms.toFixed(2)} ms against ${direct100.p50Ms.toFixed(2)} ms for kafkajs alone, so parsing, validation and response shaping cost about ${overheadMs.toFixed(2)} ms per request (${((overheadMs / handler100.p50Ms) * 100).toFixed(0)}% of its time); the rest is the broker's acks=-1 round-trip, the same for both.`
        : `produce handler at 100 records/request: p50 ${handler100.p50Ms.toFixed(2)} ms against ${direct100.p50Ms.toFixed(2)} ms for kafkajs alone: no overhead measurable above the noise; both wait on the broker's acks=-1 round-trip.`,
    );
  }
  return findings;
}
