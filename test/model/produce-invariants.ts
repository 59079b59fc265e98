/**
 * What must hold after every history of the produce model: for each caller and
 * Idempotency-Key, every 200 answers the body of the key's first 200 (another body gets 422,
 * or 409 while the first is in flight), and a replayed 200 returns the answer of a request
 * with that body that was produced. Pure: a list of broken promises, in words.
 */

/** One answer a client got. */
export interface ProduceAnswer {
  request: string;
  /** `<caller>/<Idempotency-Key>`. */
  key: string;
  /** The value of the request's one record: requests with the same key and value are the same request. */
  value: number;
  status: number;
  replayed: boolean;
  /** The offset a 200 answered for its record. */
  offset?: number;
}

/** One send the broker acknowledged. */
export interface ProducedSend {
  request: string;
  key: string;
  value: number;
  offset: number;
}

/** The promises broken by the answers to one key, given in the order they were answered. */
function keyViolations(answers: readonly ProduceAnswer[], sends: readonly ProducedSend[]): string[] {
  const ok = answers.filter(({ status }) => status === 200);
  const first = ok[0];
  if (first === undefined) return [];
  const broken = ok
    .filter(({ value }) => value !== first.value)
    .map(({ request, key, value }) => `${request} (${key}, v=${value}) was answered 200 after ${first.request}'s 200 for v=${first.value}`);
  for (const { request, key, value, offset } of ok.filter(({ replayed }) => replayed)) {
    if (!sends.some((send) => send.key === key && send.value === value && send.offset === offset)) {
      broken.push(`${request} (${key}, v=${value}) replayed offset ${offset}, at which no request with its body was produced`);
    }
  }
  return broken;
}

/** Every promise the history broke; empty when it kept them all. */
export function produceViolations(answers: readonly ProduceAnswer[], sends: readonly ProducedSend[], stuck: readonly string[]): string[] {
  const keys = [...new Set(answers.map(({ key }) => key))];
  return [
    ...stuck,
    ...keys.flatMap((key) =>
      keyViolations(
        answers.filter((answer) => answer.key === key),
        sends,
      ),
    ),
  ];
}
