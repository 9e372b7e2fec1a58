/**
 * A command under a real pseudo-terminal (python3's pty module): the command is the foreground
 * process group of its own terminal, so a Ctrl-C typed there reaches it (and whatever shares its
 * group) as a real terminal's would. ctrlC() types one; the output is what the terminal shows.
 */
import { execa, execaSync, type ResultPromise } from 'execa';

const DRIVER = String.raw`
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stderr.write("pty-child %d\n" % pid)
sys.stderr.flush()
inputs = [fd, 0]
while True:
    r, _, _ = select.select(inputs, [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        cmd = os.read(0, 64)
        if not cmd:
            inputs = [fd]
        for c in cmd:
            if c == ord("c"):
                os.write(fd, b"\x03")
_, status = os.waitpid(pid, 0)
sys.stderr.write("pty-exit %d\n" % os.waitstatus_to_exitcode(status))
`;

/** why pty tests cannot run here, or null */
export const ptyMissing: string | null = (() => {
  try {
    execaSync('python3', ['-c', 'import pty, select']);
    return null;
  } catch {
    return 'python3 with its pty module is not installed';
  }
})();

export interface PtyRun {
  /** what the terminal showed so far */
  output(): string;
  /** the pid of the command itself (the terminal's session leader) */
  pid(): Promise<number>;
  /** type Ctrl-C at the terminal */
  ctrlC(): void;
  /** the command's exit code (128 + n when a signal killed it) */
  exit(): Promise<number>;
  proc: ResultPromise;
}

export function runInPty(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): PtyRun {
  const proc = execa('python3', ['-c', DRIVER, ...argv], {
    cwd: opts.cwd,
    env: { FORCE_COLOR: '0', ...opts.env },
    reject: false,
    stdin: 'pipe',
    buffer: false,
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const pid = (async () => {
    for (;;) {
      const m = /pty-child (\d+)\n/.exec(err);
      if (m) return Number(m[1]);
      if (proc.exitCode !== null) throw new Error(`the pty driver ended: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const exit = (async () => {
    await proc;
    const m = /pty-exit (-?\d+)\n/.exec(err);
    if (!m) throw new Error(`the pty driver did not report an exit: ${err}`);
    const n = Number(m[1]);
    return n < 0 ? 128 - n : n;
  })();
  // a driver killed on purpose (the terminal closed) reports nothing: only a caller who asks fails
  exit.catch(() => undefined);
  return {
    output: () => out,
    pid: () => pid,
    ctrlC: () => proc.stdin?.write('c'),
    exit: () => exit,
    proc,
  };
}
