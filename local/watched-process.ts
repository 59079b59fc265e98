/**
 * A JVM (the broker, the schema registry) run so that it never outlives the process that
 * started it: under a bash watchdog reading its stdin, a pipe from this process. When this
 * process dies for any reason, even SIGKILL, the pipe closes, the read ends and the watchdog
 * stops the child, removing its throwaway folder if it was given one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

const WATCHDOG = `
data_dir=$1
shift
exec 3<&0
"$@" 3<&- </dev/null &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
( while read -r _ <&3; do :; done; kill -TERM $child 2>/dev/null ) &
watcher=$!
exec 3<&-
status=0
while kill -0 $child 2>/dev/null; do wait $child; status=$?; done
kill $watcher 2>/dev/null
# Throwaway data (an empty argument means none): remove it also when the parent died without stop().
[ -n "$data_dir" ] && rm -rf "$data_dir"
exit $status
`;

/** How to start a watched process. */
export interface WatchedProcessOptions {
  /** Its name in `ps` (the watchdog's `$0`). */
  name: string;
  command: string;
  args: readonly string[];
  /** Where stdout and stderr go, appended. */
  consoleLog: string;
  /** A folder the watchdog removes when the child ends; none when absent. */
  throwawayDir?: string;
  cwd?: string;
}

/** A started process: the child (the watchdog) and when it exits. */
export interface WatchedProcess {
  child: ChildProcess;
  /** Resolves with the exit code when the watchdog has ended. */
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the end; after `graceMs` ends the whole process group. */
  stop(graceMs: number): Promise<void>;
}

/** Starts `command` under the watchdog, in a process group of its own. */
export function startWatchedProcess(options: WatchedProcessOptions): WatchedProcess {
  const out = openSync(options.consoleLog, 'a');
  const child = spawn('bash', ['-c', WATCHDOG, options.name, options.throwawayDir ?? '', options.command, ...options.args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['pipe', out, out],
    detached: true,
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      // It did not shut down in time; end its whole process group.
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { child, exited, stop };
}

/** The last `count` lines of a log file, for an error that says why a process died. */
export function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}
