/**
 * How the controller reaches a host. The local implementation runs commands with execa; the SSH
 * implementation (transport/ssh/) runs them over ssh2. Everything above this interface (probe
 * delivery, the runner) is the same for both.
 */
export interface ExecOptions {
  /** written to the command's stdin, then closed */
  stdin?: string;
  /** called for every complete stdout line as it arrives; then ExecResult.stdout is left empty */
  onStdoutLine?: (line: string) => void;
  /** kill the command (locally or on the remote host) when this aborts */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  /** the inventory name of the host */
  readonly host: string;
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** copy a local file to the host, creating parent directories, with the given mode */
  put(localPath: string, remotePath: string, mode: number): Promise<void>;
  close(): Promise<void>;
}

/** Split a stream of chunks into lines; the last partial line is kept until more arrives. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.length > 0) onLine(line);
      }
    },
    end() {
      if (buf.length > 0) onLine(buf);
      buf = '';
    },
  };
}
