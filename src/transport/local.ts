/**
 * The local host: commands run as child processes (execa).
 *
 * Each command runs in a process group of its own (detached: a new session), so a Ctrl-C typed at
 * the controller's terminal reaches the controller only, which then stops the run in order; and a
 * kill (cancel, time limit, the controller exiting) takes the whole group: a probe's helper
 * processes as well as the probe. execa kills the direct child only and skips its exit clean-up
 * for detached children, so the group kill is written here, and signal-exit (what execa uses) runs
 * it when the controller exits, also on a signal no one handles.
 */
import { copyFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { onExit } from 'signal-exit';
import { HostFailure } from '../benchmark/failure.js';
import { lineSplitter, type ExecOptions, type ExecResult, type Transport } from './transport.js';

/** process groups started here and not yet seen to end: killed when the controller exits */
const liveGroups = new Set<number>();
let offExit: (() => void) | undefined;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function watchGroup(pgid: number): void {
  liveGroups.add(pgid);
  offExit ??= onExit(() => {
    for (const g of liveGroups) killGroup(g);
  });
}

function unwatchGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size > 0) return;
  offExit?.();
  offExit = undefined;
}

export class LocalTransport implements Transport {
  constructor(readonly host = 'local') {}

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    if (opts.signal?.aborted) throw new HostFailure(this.host, 'interrupted', `${this.host}: ${cmd} was cancelled`);
    const child = execa(cmd, args, {
      input: opts.stdin ?? '',
      reject: false,
      detached: true,
      stripFinalNewline: false,
      // stdout is read here, line by line; execa keeps stderr only
      buffer: { stdout: false, stderr: true },
    });
    const pgid = child.pid;
    let why: 'cancelled' | 'timeout' | undefined;
    const stop = (w: 'cancelled' | 'timeout') => {
      why ??= w;
      if (pgid !== undefined && liveGroups.has(pgid)) killGroup(pgid);
    };
    const onAbort = () => stop('cancelled');
    if (pgid !== undefined) watchGroup(pgid);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      opts.timeoutMs !== undefined && opts.timeoutMs > 0
        ? setTimeout(() => stop('timeout'), opts.timeoutMs)
        : undefined;

    let stdout = '';
    const lines = lineSplitter((l) => opts.onStdoutLine?.(l));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      // a streaming caller gets lines; only the others need the whole text kept
      if (opts.onStdoutLine) lines.push(chunk);
      else stdout += chunk;
    });
    let result;
    try {
      result = await child;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) unwatchGroup(pgid);
    }
    // a leader killed by a signal cannot have stopped its helpers: any left go with it (a group id
    // is not given to a new process while a member of the group lives)
    if (result.signal && why === undefined && pgid !== undefined) killGroup(pgid);
    lines.end();
    if (why === 'cancelled') throw new HostFailure(this.host, 'interrupted', `${this.host}: ${cmd} was cancelled`);
    if (why === 'timeout')
      throw new HostFailure(this.host, 'timeout', `${this.host}: ${cmd} timed out after ${opts.timeoutMs} ms`);
    if (result.failed && result.exitCode === undefined) {
      if (result.signal) {
        // killed by someone else: a user's kill, the OOM killer
        throw new HostFailure(
          this.host,
          result.signal === 'SIGKILL' ? 'probe-error' : 'interrupted',
          `${this.host}: ${cmd} was killed by ${result.signal}`,
        );
      }
      throw new Error(`${this.host}: cannot run ${cmd}: ${result.shortMessage}`);
    }
    return { exitCode: result.exitCode ?? -1, stdout, stderr: String(result.stderr ?? '') };
  }

  async put(localPath: string, remotePath: string, mode: number): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await copyFile(localPath, remotePath);
    await chmod(remotePath, mode);
  }

  async close(): Promise<void> {}
}
