/**
 * Ctrl-C, SIGTERM and SIGHUP for a command that must clean up: the first one aborts `signal` (the
 * command stops its work in order: probes killed, locks released, summary written) and the command
 * exits 128 + the signal's number afterwards; a second one exits at once.
 *
 * The handlers stay installed (process.on, not once) until dispose(): execa's signal-exit, used for
 * any child process running meanwhile, re-raises a signal that it sees no other listener for, which
 * would kill the controller before its clean-up.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Interrupt {
  signal: AbortSignal;
  /** the first signal received, if any */
  readonly received: NodeJS.Signals | undefined;
  /** 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), once one was received */
  readonly exitCode: number | undefined;
  dispose(): void;
}

export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + constants.signals[sig];
}

function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    /* the terminal is gone (SIGHUP): the clean-up goes on without it */
  }
}

export function onInterrupt(command: string, write: (text: string) => void = say): Interrupt {
  const ac = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received !== undefined) {
      write(
        `\ngmembench ${command}: ${sig} again: exiting now, without clean-up (a probe may still run, a host lock may stay held)\n`,
      );
      process.exit(signalExitCode(sig));
    }
    received = sig;
    if (sig === 'SIGHUP') {
      // the terminal is gone: writes to it fail from now on, which must not stop the clean-up
      process.stdout.on('error', () => undefined);
      process.stderr.on('error', () => undefined);
    }
    write(
      `\ngmembench ${command}: ${sig}: stopping: killing the probes, releasing the host locks, writing the summary (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again exits at once)\n`,
    );
    ac.abort(new Error(`interrupted (${sig})`));
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: ac.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : signalExitCode(received);
    },
    dispose() {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}
