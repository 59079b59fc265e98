/**
 * The request readers of the REST Proxy v2 produce routes: `POST /topics/{topic}` and
 * `POST /topics/{topic}/partitions/{partition}`, both with the v2 envelope
 * `{"records": [...]}` in the JSON or binary embedded format.
 */
import { PartitionNotFoundError, ValidationError } from '../errors';
import type { ProduceCommand } from './command';
import { V2_ANSWER_WRITER } from './response';
import type { HttpRequest } from './route';
import { embeddedFormatOf, MAX_PARTITION, mediaTypeOf, parseProduceBody, type ProduceLimits, type ProduceRecord } from './validation';

const PARTITION_PARAM = /^(0|[1-9][0-9]{0,9})$/;

/**
 * The partition a path names.
 *
 * @throws {PartitionNotFoundError} when the segment is not a partition number (Kafka has no such partition).
 */
export function partitionOfPath(segment: string): number {
  const partition = PARTITION_PARAM.test(segment) ? Number(segment) : Number.NaN;
  if (!(partition <= MAX_PARTITION)) throw new PartitionNotFoundError(`partition "${segment}" does not exist`);
  return partition;
}

/**
 * Sends every record to `partition`. A record that names a partition itself must name the
 * same one: a body written for another partition is a mistake better refused than obeyed.
 *
 * @throws {ValidationError} naming the first record whose `partition` differs.
 */
export function toPartition(records: ProduceRecord[], partition: number): ProduceRecord[] {
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as ProduceRecord;
    if (record.partition !== undefined && record.partition !== partition) {
      throw new ValidationError(`records[${index}].partition: ${record.partition} differs from the partition of the path, ${partition}`);
    }
    record.partition = partition;
  }
  return records;
}

/** `POST /topics/{topic}`: the records of the body, each to its own or the partitioner's partition. */
export function readV2TopicRequest(request: HttpRequest, limits: ProduceLimits): ProduceCommand {
  return {
    request,
    topic: request.params.topic as string,
    // The media type alone, as before the other routes: keys stored by earlier versions still match.
    fingerprint: mediaTypeOf(request.contentType),
    read: () => parseProduceBody(request.body, embeddedFormatOf(request.contentType), limits),
    writer: V2_ANSWER_WRITER,
  };
}

/** `POST /topics/{topic}/partitions/{partition}`: every record of the body to the path's partition. */
export function readV2PartitionRequest(request: HttpRequest, limits: ProduceLimits): ProduceCommand {
  const segment = request.params.partition as string;
  return {
    request,
    topic: request.params.topic as string,
    fingerprint: `partition ${segment}\n${mediaTypeOf(request.contentType)}`,
    read: () => {
      const partition = partitionOfPath(segment);
      return toPartition(parseProduceBody(request.body, embeddedFormatOf(request.contentType), limits), partition);
    },
    writer: V2_ANSWER_WRITER,
  };
}
