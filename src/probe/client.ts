/** Run the probe through a transport and collect its JSON lines. */
import type { Transport } from '../transport/transport.js';
import type { Fingerprint } from './fingerprint.js';
import { parseProbeLine, type ProbeJob, type RepLine, type ResultLine } from './protocol.js';

export class ProbeError extends Error {
  constructor(readonly host: string, message: string, readonly stderr = '') {
    super(`${host}: ${message}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    this.name = 'ProbeError';
  }
}

export interface ProbeOutcome {
  /** the repetition lines, unless the caller consumed them with onRep and keepReps: false */
  reps: RepLine[];
  result: ResultLine;
}

export class ProbeClient {
  constructor(readonly transport: Transport, readonly probePath: string) {}

  async fingerprint(signal?: AbortSignal): Promise<Fingerprint> {
    const r = await this.transport.exec([this.probePath, 'fingerprint'], { signal, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new ProbeError(this.transport.host, `fingerprint exited ${r.exitCode}`, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.trim().length > 0);
    if (!line) throw new ProbeError(this.transport.host, 'fingerprint printed nothing', r.stderr);
    return parseProbeLine(line) as unknown as Fingerprint;
  }

  async run(
    job: ProbeJob,
    opts: {
      signal?: AbortSignal; timeoutMs?: number; onRep?: (rep: RepLine) => void; keepReps?: boolean;
      /** thread placement: undefined or "none" = the scheduler's, "auto" = CPUs the probe chooses, or a list "1,0" */
      cpus?: string;
    } = {},
  ): Promise<ProbeOutcome> {
    const reps: RepLine[] = [];
    let result: ResultLine | undefined;
    let lineError: Error | undefined;
    const r = await this.transport.exec([this.probePath, 'run', ...(opts.cpus !== undefined ? ['--cpus', opts.cpus] : [])], {
      stdin: JSON.stringify(job),
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      onStdoutLine: (text) => {
        try {
          const line = parseProbeLine(text);
          if (line.type === 'rep') {
            if (opts.keepReps ?? true) reps.push(line as RepLine);
            opts.onRep?.(line as RepLine);
          } else if (line.type === 'result') {
            result = line as ResultLine;
          }
        } catch (err) {
          lineError ??= err as Error;
        }
      },
    });
    if (lineError) throw new ProbeError(this.transport.host, lineError.message, r.stderr);
    if (r.exitCode !== 0) throw new ProbeError(this.transport.host, `probe run exited ${r.exitCode}`, r.stderr);
    if (!result) throw new ProbeError(this.transport.host, 'probe run ended without a result line', r.stderr);
    return { reps, result };
  }
}
