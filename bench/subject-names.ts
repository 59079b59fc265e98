/** Names of the measured subjects, as they appear in results.json and RESULTS.md. */
export const SubjectName = {
  KafkajsProducer: 'kafkajs acks=-1, the same messages (baseline)',
  KafkajsMessageIdOnly: 'kafkajs acks=-1, message-id only (earlier baseline)',
  ProduceHandler: 'produce handler',
  ProduceHandlerV3: 'produce handler, v3 records',
  LocalHttpServer: 'local HTTP server',
  ConsumeHandler: 'consume handler',
  PowertoolsConsumer: 'Powertools idempotency (baseline)',
} as const;
export type SubjectName = (typeof SubjectName)[keyof typeof SubjectName];
