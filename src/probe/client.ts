/** Run the probe through a transport and collect its JSON lines. */
import type { Transport } from '../transport/transport.js';
import { issueText } from '../util/zod-issue.js';
import { WORKLOADS } from '../workloads/index.js';
import type { Fingerprint } from './fingerprint.js';
import { parseProbeLine, type ProbeJob, type RepLine, type ResultLine } from './protocol.js';

export class ProbeError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly stderr = '',
  ) {
    super(`${host}: ${message}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    this.name = 'ProbeError';
  }
}

export interface ProbeOutcome {
  /** the repetition lines, unless the caller consumed them with onRep and keepReps: false */
  reps: RepLine[];
  /** the job's result line */
  result: ResultLine;
  /** every result line: the job's, and its pair's when the job has one */
  results: ResultLine[];
}

export class ProbeClient {
  constructor(
    readonly transport: Transport,
    readonly probePath: string,
  ) {}

  async fingerprint(signal?: AbortSignal): Promise<Fingerprint> {
    const r = await this.transport.exec([this.probePath, 'fingerprint'], { signal, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new ProbeError(this.transport.host, `fingerprint exited ${r.exitCode}`, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.trim().length > 0);
    if (!line) throw new ProbeError(this.transport.host, 'fingerprint printed nothing', r.stderr);
    let parsed;
    try {
      parsed = parseProbeLine(line);
    } catch (err) {
      throw new ProbeError(this.transport.host, `fingerprint: ${(err as Error).message}`, r.stderr);
    }
    if (parsed.type !== 'fingerprint') {
      throw new ProbeError(this.transport.host, `fingerprint printed a "${parsed.type}" line instead`, r.stderr);
    }
    return parsed;
  }

  async run(
    job: ProbeJob,
    opts: {
      signal?: AbortSignal;
      timeoutMs?: number;
      onRep?: (rep: RepLine) => void;
      keepReps?: boolean;
      /** thread placement: undefined or "none" = the scheduler's, "auto" = CPUs the probe chooses, or a list "1,0" */
      cpus?: string;
    } = {},
  ): Promise<ProbeOutcome> {
    const reps: RepLine[] = [];
    const results: ResultLine[] = [];
    let lineError: Error | undefined;
    const r = await this.transport.exec(
      [this.probePath, 'run', ...(opts.cpus !== undefined ? ['--cpus', opts.cpus] : [])],
      {
        stdin: JSON.stringify(job),
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        onStdoutLine: (text) => {
          try {
            const line = parseProbeLine(text);
            if (line.type === 'rep') {
              if (opts.keepReps ?? true) reps.push(line);
              opts.onRep?.(line);
            } else if (line.type === 'result') {
              checkExtra(line);
              results.push(line);
            }
          } catch (err) {
            lineError ??= err as Error;
          }
        },
      },
    );
    if (lineError) throw new ProbeError(this.transport.host, lineError.message, r.stderr);
    if (r.exitCode !== 0) throw new ProbeError(this.transport.host, `probe run exited ${r.exitCode}`, r.stderr);
    const result = results.find((x) => x.path === job.path);
    if (!result) throw new ProbeError(this.transport.host, 'probe run ended without a result line', r.stderr);
    if (job.pair !== undefined && !results.some((x) => x.path === job.pair))
      throw new ProbeError(
        this.transport.host,
        `probe run ended without a result line for the pair ${job.pair}`,
        r.stderr,
      );
    return { reps, result, results };
  }
}

/** The result's `extra` against its op's schema: a missing or mistyped figure is an error naming it. */
function checkExtra(line: ResultLine): void {
  const schema = WORKLOADS[line.op]?.extra;
  if (line.extra === undefined) return;
  if (!schema) throw new Error(`probe wrote an "extra" for ${line.op}, which reports none`);
  const r = schema.safeParse(line.extra);
  if (!r.success)
    throw new Error(
      `probe wrote a "result" line whose extra does not match ${line.op}: ${issueText(r.error, 'extra')}`,
    );
}
