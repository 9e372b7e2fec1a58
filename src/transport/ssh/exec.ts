/**
 * Run one command over an SSH connection, with a time limit, an idle limit and cancellation that
 * really stops it on the host.
 *
 * OpenSSH ignores the "signal" channel request for sessions without a pty (before 9.x, and often
 * still), and closing the channel does not kill the command. sshd starts each session command in
 * a new session (setsid), so the login shell's pid is also its process group: the command prints
 * that pid first (on stderr, a marker line taken out again here) and execs the real command, and
 * a kill is a second exec of `kill -TERM -- -<pgid>` (then -KILL), which takes every process of it.
 */
import { createReadStream } from 'node:fs';
import { constants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { HostFailure } from '../../benchmark/failure.js';
import { lineSplitter, type ExecOptions, type ExecResult } from '../transport.js';
import type { SshConnection } from './connect.js';
import { shellQuote } from '../../util/shell.js';

const PGID_MARKER = 'gmembench-pgid ';

export interface ExecLimits {
  /** ms, when the caller gives no timeoutMs and reads no stream of lines */
  defaultTimeoutMs: number;
  /** ms without any output before the command is killed; 0: none */
  idleTimeoutMs: number;
}

export function sshExec(
  conn: SshConnection,
  argv: string[],
  opts: ExecOptions,
  limits: ExecLimits,
): Promise<ExecResult> {
  const host = conn.name;
  const what = argv[0]?.split('/').pop() ?? 'command';
  if (conn.failure) return Promise.reject(conn.failure);
  if (opts.signal?.aborted) return Promise.reject(new Error(`${host}: ${what} was cancelled`));
  const command = `printf '${PGID_MARKER}%s\\n' "$$" >&2; exec ${shellQuote(argv)}`;

  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let pgid: number | null = null;
    let settled = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let stdout = '';
    let stderr = '';
    let stderrHead = '';
    let timer: NodeJS.Timeout | undefined;
    let idle: NodeJS.Timeout | undefined;
    const lines = lineSplitter((l) => opts.onStdoutLine?.(l));

    const cleanup = () => {
      clearTimeout(timer);
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      offDown();
    };
    const fail = (err: Error, kill: boolean) => {
      if (settled) return;
      settled = true;
      cleanup();
      const done = () => reject(err);
      if (kill && !conn.failure) void killRemote().finally(done);
      else done();
    };
    /** stop the whole process group on the host, then drop the channel */
    const killRemote = async () => {
      if (pgid === null) await waitFor(() => pgid !== null, 2000);
      // a group id only from the marker (never 0, 1 or -1: those would mean every process)
      if (pgid !== null && pgid > 1 && !conn.failure) {
        const k = `kill -TERM -- -${pgid} 2>/dev/null; i=0; while kill -0 -- -${pgid} 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL -- -${pgid} 2>/dev/null; true`;
        await new Promise<void>((res) => {
          const t = setTimeout(res, 5000);
          conn.client.exec(k, (err, ch) => {
            if (err) {
              clearTimeout(t);
              res();
              return;
            }
            ch.on('data', () => undefined).stderr.on('data', () => undefined);
            ch.on('close', () => {
              clearTimeout(t);
              res();
            });
          });
        });
      }
      channel?.close();
    };
    const onAbort = () => fail(new Error(`${host}: ${what} was cancelled`), true);
    const onDown = (f: HostFailure) =>
      fail(new HostFailure(host, 'lost', `lost while ${what} was running: ${f.message}`), false);
    let offDown = () => undefined as void;
    const armIdle = () => {
      // output that arrives after the command settled (the rest of a killed probe's lines) must
      // not start a new timer: it would keep the controller alive until idleTimeout
      if (settled || limits.idleTimeoutMs <= 0) return;
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          fail(
            new HostFailure(
              host,
              'timeout',
              `${what} printed nothing for ${limits.idleTimeoutMs / 1000} s (idleTimeout); killed`,
            ),
            true,
          ),
        limits.idleTimeoutMs,
      );
    };

    opts.signal?.addEventListener('abort', onAbort, { once: true });
    offDown = conn.onDown(onDown);
    // a streaming command (a probe job) without a limit of its own is bounded by idleTimeout only:
    // commandTimeout is for the harness's short commands
    const limit = opts.timeoutMs ?? (opts.onStdoutLine ? 0 : limits.defaultTimeoutMs);
    if (limit > 0) {
      timer = setTimeout(
        () => fail(new HostFailure(host, 'timeout', `${what} timed out after ${limit / 1000} s; killed`), true),
        limit,
      );
    }
    armIdle();

    conn.client.exec(command, (err, ch) => {
      if (err) {
        fail(conn.failure ?? new HostFailure(host, 'lost', `cannot start ${what}: ${err.message}`), false);
        return;
      }
      channel = ch;
      if (settled) {
        // cancelled before the channel opened
        void killRemote();
        return;
      }
      ch.setEncoding('utf8');
      ch.stderr.setEncoding('utf8');
      ch.on('data', (chunk: string) => {
        armIdle();
        if (opts.onStdoutLine) lines.push(chunk);
        else stdout += chunk;
      });
      ch.stderr.on('data', (chunk: string) => {
        armIdle();
        if (pgid === null) {
          // the marker is our first line, unless the login shell's rc files wrote something first
          stderrHead += chunk;
          const m = /(?:^|\n)gmembench-pgid (\d+)\n/.exec(stderrHead);
          if (m) {
            const n = Number(m[1]);
            pgid = Number.isInteger(n) && n > 1 ? n : -1;
            stderr +=
              stderrHead.slice(0, m.index + (m[0].startsWith('\n') ? 1 : 0)) + stderrHead.slice(m.index + m[0].length);
            stderrHead = '';
          } else if (stderrHead.length > 8192) {
            pgid = -1; // no marker (a non-POSIX login shell?): cannot kill by process group
            stderr += stderrHead;
            stderrHead = '';
          }
          return;
        }
        stderr += chunk;
      });
      ch.on('exit', (code: number | null, signal?: string) => {
        exitCode = code;
        exitSignal = signal ?? null;
      });
      ch.on('close', () => {
        if (settled) return;
        lines.end();
        if (exitCode === null && exitSignal === null) {
          // sshd always sends exit-status or exit-signal for a command that ended
          fail(
            conn.failure ??
              new HostFailure(host, 'lost', `${what}: the channel closed without an exit status (connection lost)`),
            false,
          );
          return;
        }
        settled = true;
        cleanup();
        resolve({
          exitCode: exitCode ?? 128 + signalNumber(exitSignal),
          stdout,
          stderr: stderr + stderrHead,
        });
      });
      if (opts.stdin) ch.end(opts.stdin);
      else ch.end();
    });
  });
}

/** "TERM" (ssh names signals without SIG) -> 15; 0 for a name this platform does not know */
export function signalNumber(name: string | null): number {
  return (constants.signals as Record<string, number | undefined>)[`SIG${name ?? ''}`] ?? 0;
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Copy a local file to the host through `cat` on an exec channel (no SFTP subsystem needed: many
 * lab sshd configs lack one). The file is written under a temporary name and renamed into place.
 */
export function sshUpload(
  conn: SshConnection,
  localPath: string,
  remotePath: string,
  mode: number,
  timeoutMs: number,
): Promise<void> {
  const host = conn.name;
  if (conn.failure) return Promise.reject(conn.failure);
  const tmp = `${remotePath}.upload-${process.pid}-${Date.now()}`;
  const octal = (mode & 0o7777).toString(8);
  const cmd = `umask 077; mkdir -p ${shellQuote([remotePath.slice(0, remotePath.lastIndexOf('/')) || '/'])} && cat > ${shellQuote([tmp])} && chmod ${octal} ${shellQuote([tmp])} && mv -f ${shellQuote([tmp, remotePath])}`;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let stderr = '';
    let code: number | null = null;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      offDown();
      if (err) reject(err);
      else resolve();
    };
    const offDown = conn.onDown((f) =>
      finish(new HostFailure(host, 'lost', `lost while uploading ${remotePath}: ${f.message}`)),
    );
    let channel: ClientChannel | undefined;
    const timer = setTimeout(() => {
      finish(new HostFailure(host, 'timeout', `upload of ${remotePath} timed out after ${timeoutMs / 1000} s`));
      channel?.close();
    }, timeoutMs);
    conn.client.exec(cmd, (err, ch) => {
      if (err) {
        finish(conn.failure ?? new HostFailure(host, 'lost', `cannot start the upload: ${err.message}`));
        return;
      }
      channel = ch;
      ch.on('data', () => undefined);
      ch.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', () => {
        if (code === 0) finish();
        else if (code === null)
          finish(
            conn.failure ??
              new HostFailure(host, 'lost', `upload of ${remotePath}: channel closed without an exit status`),
          );
        else
          finish(
            new HostFailure(host, 'probe-error', `upload to ${remotePath} failed (exit ${code}): ${stderr.trim()}`),
          );
      });
      const src = createReadStream(localPath);
      src.on('error', (e) => {
        ch.close();
        finish(new Error(`cannot read ${localPath}: ${e.message}`));
      });
      src.pipe(ch);
    });
  });
}
