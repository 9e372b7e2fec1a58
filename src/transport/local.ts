/** The local host: commands run as child processes (execa). */
import { copyFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { lineSplitter, type ExecOptions, type ExecResult, type Transport } from './transport.js';

export class LocalTransport implements Transport {
  constructor(readonly host = 'local') {}

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    const child = execa(cmd, args, {
      input: opts.stdin ?? '',
      reject: false,
      cancelSignal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      stripFinalNewline: false,
      // stdout is read here, line by line; execa keeps stderr only
      buffer: { stdout: false, stderr: true },
    });
    let stdout = '';
    const lines = lineSplitter((l) => opts.onStdoutLine?.(l));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      // a streaming caller gets lines; only the others need the whole text kept
      if (opts.onStdoutLine) lines.push(chunk);
      else stdout += chunk;
    });
    const result = await child;
    lines.end();
    if (result.isCanceled) throw new Error(`${this.host}: ${cmd} was cancelled`);
    if (result.timedOut) throw new Error(`${this.host}: ${cmd} timed out after ${opts.timeoutMs} ms`);
    if (result.failed && result.exitCode === undefined) {
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
