/**
 * Child process of a chaos run: dynalite on a given port with its data in a given folder
 * (`node --import tsx chaos/lib/store-process.ts <port> <path>`). It prints `ready <endpoint>`
 * once it listens, and exits on SIGTERM (after closing the store) or when its parent goes.
 * Stopping the store is then stopping a process, as in a real outage: requests in flight
 * fail on their connection, and nothing of dynalite's shutdown reaches the scenario's process.
 */
import { startDynamoStore } from '../../local/dynamo-store';

const [portArgument, path] = process.argv.slice(2);
if (portArgument === undefined || path === undefined) {
  process.stderr.write('usage: store-process.ts <port> <path>\n');
  process.exit(2);
}
const store = await startDynamoStore(Number(portArgument), { path });
process.stdout.write(`ready ${store.endpoint}\n`);
process.once('SIGTERM', () => {
  void store.stop().finally(() => process.exit(0));
});
// The parent's end of stdin closes when it dies, even by SIGKILL.
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
