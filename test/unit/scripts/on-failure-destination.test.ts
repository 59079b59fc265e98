import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const variables = require('../../../scripts/package-variables.cjs') as Record<
  string,
  (context: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<unknown>
>;

const CLUSTER = 'arn:aws:kafka:us-east-1:123456789012:cluster/example/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1';
const BASE_STATEMENT = { Sid: 'KafkaConnect', Effect: 'Allow', Action: ['kafka-cluster:Connect'], Resource: CLUSTER };

/** serverless.yml's variables as the framework would resolve them, for one destination and source. */
function context(onFailureDestination: string, kafkaSource = 'msk') {
  const values: Record<string, unknown> = {
    'param:onFailureDestination': onFailureDestination,
    'param:kafkaSource': kafkaSource,
    'param:kafkaClusterArn': CLUSTER,
    'sls:stage': 'dev',
    'file(./deploy/event-source.json)': { topic: 'events', onFailureTopic: 'events-dlq', consumerGroupId: 'consume-function' },
    [`self:custom.iam.consumeKafka.${kafkaSource}`]: [BASE_STATEMENT],
  };
  return {
    resolveVariable: async (name: string) => {
      if (!(name in values)) throw new Error(`unexpected variable ${name}`);
      return values[name];
    },
  };
}

describe('the on-failure destination and its statements (scripts/package-variables.cjs)', () => {
  it.each([
    [
      'kafka on MSK: the stage dead-letter topic, WriteData on it only',
      'kafka',
      'msk',
      'kafka://events-dlq-dev',
      [
        {
          Sid: 'KafkaWriteDeadLetterTopic',
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          Resource: 'arn:aws:kafka:us-east-1:123456789012:topic/example/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1/events-dlq-dev',
        },
      ],
    ],
    ['kafka on a self-managed cluster: no IAM (the SCRAM user writes)', 'kafka', 'selfManaged', 'kafka://events-dlq-dev', []],
    [
      'an SQS queue: SendMessage on it only',
      'arn:aws:sqs:us-east-1:123456789012:failures',
      'msk',
      'arn:aws:sqs:us-east-1:123456789012:failures',
      [{ Sid: 'OnFailureQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:us-east-1:123456789012:failures' }],
    ],
    [
      'an SNS topic: Publish on it only',
      'arn:aws:sns:us-east-1:123456789012:failures',
      'msk',
      'arn:aws:sns:us-east-1:123456789012:failures',
      [{ Sid: 'OnFailureTopic', Effect: 'Allow', Action: ['sns:Publish'], Resource: 'arn:aws:sns:us-east-1:123456789012:failures' }],
    ],
    [
      'an S3 bucket: PutObject on its objects, ListBucket on it',
      'arn:aws:s3:::pipeline-failures',
      'selfManaged',
      'arn:aws:s3:::pipeline-failures',
      [
        { Sid: 'OnFailureBucketObjects', Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::pipeline-failures/*' },
        { Sid: 'OnFailureBucketList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: 'arn:aws:s3:::pipeline-failures' },
      ],
    ],
  ])('%s', async (_name, param, kafkaSource, destination, statements) => {
    expect(await variables.onFailureDestination?.(context(param, kafkaSource))).toBe(destination);
    expect(await variables.consumeKafkaStatements?.(context(param, kafkaSource))).toEqual([BASE_STATEMENT, ...statements]);
  });

  it.each(['sqs', 'arn:aws:lambda:us-east-1:123456789012:function:f', 'arn:aws:sqs:us-east-1:123456789012:q/extra'])(
    'refuses %s, naming the param',
    async (param) => {
      await expect(variables.onFailureDestination?.(context(param))).rejects.toThrow(/param onFailureDestination must be "kafka" or the ARN of an SQS queue/);
    },
  );
});
