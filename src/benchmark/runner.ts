/** Measure one host: deliver the probe, fingerprint, then run every job of the suite in turn. */
import type { HostConfig } from '../config/hosts.js';
import type { Suite } from '../config/suite.js';
import type { ProbeBinary } from '../probe/build.js';
import { ProbeClient } from '../probe/client.js';
import { ensureProbe } from '../probe/deliver.js';
import type { ProbeJob } from '../probe/protocol.js';
import type { HostEntry, ResultRow } from '../results/schema.js';
import { seriesLabel } from '../results/series-label.js';
import type { RunWriter } from '../results/writer.js';
import type { Transport } from '../transport/transport.js';
import { RowBuilder } from '../analysis/summarize.js';
import { expandJobs } from './jobs.js';
import { classify } from './failure.js';
import { reserveHugePages, type Reservation } from './hugetlb.js';
import { checkSettle, settle } from './settle.js';
import { checkSystem, formatFindings, noisy } from '../system/check.js';
import { checkReferenceSpread } from '../system/reference-spread.js';
import type { ResultLine } from '../probe/protocol.js';
import { precheckHost } from './precheck.js';
import { markEmulation } from '../lab/emulation.js';
import { WORKLOADS } from '../workloads/index.js';

export interface RunHostContext {
  host: HostConfig;
  transport: Transport;
  probe: ProbeBinary;
  suite: Suite;
  writer: RunWriter;
  raw?: boolean;
  maxMemShare?: number;
  signal?: AbortSignal;
  /** per-job time limit; a probe run past it is killed and the host marked `timeout` */
  jobTimeoutMs?: number;
  onProgress?: (message: string, done: number, total: number) => void;
  onRow?: (row: ResultRow) => void;
  /** separate probe processes per job, run in rounds interleaved with the other jobs (default 1) */
  processes?: number;
  /** thread placement passed to the probe: undefined or "none" (the scheduler), "auto", a CPU list */
  cpus?: string;
  /** settle memory (drop caches, compact) before every probe process; root only */
  settle?: boolean;
  /** time each job of the first path in the same probe processes as its job of the second (run --pair) */
  pair?: readonly [string, string];
  /** lines for the host's systemWarnings (a broken lock: another run may measure beside this one) */
  warnings?: string[];
}

export function jobLabel(j: Pick<ProbeJob, 'path' | 'op' | 'granule' | 'threads'>): string {
  return seriesLabel(j);
}

/** Why a run was stopped, from its AbortSignal's reason: "interrupted (SIGINT)", a write failure ... */
export function stopReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  if (typeof r === 'string' && r.length > 0) return r;
  return 'cancelled';
}

/** What a host's entry says while its jobs run: if the controller dies now, this is what stays on disk. */
function markUnfinished(entry: HostEntry, total: number, written: number): void {
  Object.assign(entry, {
    status: 'failed',
    subStatus: 'interrupted',
    jobsTotal: total,
    jobsNotRun: total - written,
    error: `did not finish: ${total - written} of ${total} jobs not run (the controller stopped before this host finished)`,
  } satisfies Partial<HostEntry>);
}

export async function runHost(ctx: RunHostContext): Promise<HostEntry> {
  const { host, transport } = ctx;
  const entry: HostEntry = { name: host.name, status: 'ok', labels: host.labels ?? {}, fingerprint: null };
  let hugePages: Reservation | null = null;
  let total: number | undefined;
  const progress = { written: 0 };
  try {
    if (host.hugetlbPages) {
      ctx.onProgress?.(`reserving ${host.hugetlbPages} hugetlb pages`, 0, 0);
      hugePages = await reserveHugePages(transport, host.hugetlbPages).catch((err: Error) => {
        ctx.onProgress?.(`hugetlb reservation refused: ${err.message}`, 0, 0);
        return null;
      });
    }
    ctx.onProgress?.('delivering probe', 0, 0);
    const probePath = await ensureProbe(transport, ctx.probe, (m) => ctx.onProgress?.(m, 0, 0));
    const client = new ProbeClient(transport, probePath);
    ctx.onProgress?.('fingerprint', 0, 0);
    entry.fingerprint = await client.fingerprint(ctx.signal);
    precheckHost(host.name, ctx.suite, entry.fingerprint);
    markEmulation(entry);
    const findings = checkSystem(entry.fingerprint);
    const warnings = [
      ...(ctx.warnings ?? []),
      ...(noisy(findings)
        ? formatFindings(
            host.name,
            findings.filter((f) => f.level === 'warn'),
          )
        : []),
    ];
    if (warnings.length > 0) entry.systemWarnings = warnings;
    const jobs = expandJobs(ctx.suite, entry.fingerprint, {
      raw: ctx.raw,
      maxMemShare: ctx.maxMemShare ?? host.maxMemShare,
    });
    total = jobs.length;
    markUnfinished(entry, total, 0);
    await ctx.writer.setHost(entry);
    const settled = ctx.settle ? await checkSettle(transport) : null;
    if (settled && !settled.ok) {
      entry.systemWarnings = [...(entry.systemWarnings ?? []), settled.reason];
      ctx.onProgress?.(settled.reason, 0, 0);
      await ctx.writer.setHost(entry);
    }
    const rows = await measureJobs(ctx, client, jobs, settled?.ok === true, entry, progress);
    // what the host did while it was measured, beside what its state said it might do
    const moved = checkReferenceSpread(rows);
    if (moved) entry.systemWarnings = [...(entry.systemWarnings ?? []), ...formatFindings(host.name, [moved])];
    entry.status = 'ok';
    delete entry.subStatus;
    delete entry.error;
    delete entry.jobsTotal;
    delete entry.jobsNotRun;
    ctx.onProgress?.('done', 1, 1);
  } catch (err) {
    const stopped = ctx.signal?.aborted === true;
    const failure = stopped ? null : classify(host.name, err);
    entry.status = 'failed';
    entry.subStatus = failure?.subStatus ?? 'interrupted';
    const jobs =
      total !== undefined
        ? `stopped after ${progress.written} of ${total} jobs, ${total - progress.written} not run`
        : 'stopped before its jobs began';
    entry.error = failure
      ? total !== undefined && failure.subStatus !== 'interrupted'
        ? failure.message
        : `${failure.message}: ${jobs}`
      : `${stopReason(ctx.signal)}: ${jobs}`;
    if (total !== undefined) {
      entry.jobsTotal = total;
      entry.jobsNotRun = total - progress.written;
    }
  } finally {
    await hugePages?.restore().catch(() => undefined);
  }
  // a failed write is the writer's to report (runSuite does): the entry is returned all the same
  await ctx.writer.setHost(entry).catch(() => undefined);
  return entry;
}

interface JobState {
  job: ProbeJob;
  builder: RowBuilder;
  raw: number[][];
  results: ResultLine[];
  /** how many probe processes share the job's repetitions */
  procs: number;
  /** of those, how many also timed its pair (run --pair) */
  pairedProcs: number;
  done: boolean;
  row?: ResultRow;
  /** run --pair: the job of the other path this one's processes also time */
  twin?: JobState;
  /** the job whose processes time this one (its twin), while that one is still going */
  drivenBy?: JobState;
}

/** The repetitions process p of procs runs: the job's repetitions dealt out as evenly as they go. */
export function repetitionsOf(repetitions: number, procs: number, p: number): number {
  return Math.floor(repetitions / procs) + (p < repetitions % procs ? 1 : 0);
}

/** The two jobs run --pair A,B times in one process: the same op, granule, threads, region and passes on A and B. */
export function pairable(a: ProbeJob, b: ProbeJob): boolean {
  const rest = (j: ProbeJob) =>
    JSON.stringify([j.op, j.granule, j.threads, j.region, j.repetitions, j.warmup, j.maxMemShare, j.raw, j.params]);
  return !WORKLOADS[a.op]?.solo && a.path !== b.path && rest(a) === rest(b);
}

/** Each job of path A with a pairable job of path B becomes its twin's driver. */
function pairStates(states: JobState[], [a, b]: readonly [string, string]): void {
  for (const s of states) {
    if (s.job.path !== a) continue;
    const t = states.find((x) => x.job.path === b && !x.drivenBy && pairable(s.job, x.job));
    if (!t) continue;
    s.twin = t;
    t.drivenBy = s;
  }
}

/**
 * Every job as up to `processes` separate, short probe processes sharing its repetitions (each with
 * its own warm-up), run in rounds: round k runs process k of every job still going, so one job's
 * processes are spread over the run (as hyperfine and pyperf spread their runs) instead of sharing
 * one process, one set of pages and one moment of the machine. A job whose process is not ok is not
 * run again. Rows are written in job order as they complete: histograms merged over the processes.
 * With `pair` (run --pair A,B), a job of path A and the same job of path B share their processes,
 * their passes interleaved, so their ratio compares like with like (bench/paired.ts).
 */
async function measureJobs(
  ctx: RunHostContext,
  client: ProbeClient,
  jobs: ProbeJob[],
  settleFirst: boolean,
  entry: HostEntry,
  progress: { written: number },
): Promise<ResultRow[]> {
  const k = Math.max(1, ctx.processes ?? 1);
  const states: JobState[] = jobs.map((job) => ({
    job,
    builder: new RowBuilder(ctx.host.name, job),
    raw: [],
    results: [],
    done: false,
    procs: Math.min(k, job.repetitions),
    pairedProcs: 0,
  }));
  if (ctx.pair) pairStates(states, ctx.pair);
  const rounds = Math.max(0, ...states.map((s) => s.procs));
  const total = states.reduce((a, s) => a + (s.drivenBy ? 0 : s.procs), 0);
  let started = 0;
  let written = 0;
  const finish = async (s: JobState) => {
    s.done = true;
    s.row = s.builder.finish(mergeResults(s.results));
    if (k > 1) s.row.processes = s.results.length;
    const other = s.twin ?? s.drivenBy;
    if (other && s.pairedProcs === s.results.length) s.row.pairedWith = other.job.path;
    if (s.results[0].cpus !== undefined) s.row.cpus = s.results[0].cpus ?? null;
    if (s.job.raw && s.raw.length > 0) {
      const j = s.job;
      s.row.rawFile = await ctx.writer.writeRaw(`${ctx.host.name}-${j.path}-${j.op}-${j.granule}-t${j.threads}`, s.raw);
    }
  };
  for (let p = 0; p < rounds; p++) {
    for (const s of states) {
      // measured this round already (by its twin's process), or its twin's process will measure it
      if (s.done || p >= s.procs || s.results.length > p) continue;
      if (s.drivenBy && !s.drivenBy.done) continue;
      if (ctx.signal?.aborted) throw new Error('run cancelled');
      const twin = s.twin && !s.twin.done && s.twin.results.length === p ? s.twin : undefined;
      const label = `${jobLabel(s.job)}${twin ? ` with ${twin.job.path}` : ''}`;
      ctx.onProgress?.(`${label}${s.procs > 1 ? ` (process ${p + 1}/${s.procs})` : ''}`, started++, total);
      if (settleFirst) await settle(ctx.transport, ctx.signal);
      // repetitions are folded in as they stream in: memory stays flat however many calls a job times
      const { results } = await client.run(
        { ...s.job, repetitions: repetitionsOf(s.job.repetitions, s.procs, p), ...(twin && { pair: twin.job.path }) },
        {
          signal: ctx.signal,
          timeoutMs: ctx.jobTimeoutMs,
          keepReps: false,
          cpus: ctx.cpus,
          onRep: (rep) => {
            const x = twin && rep.path === twin.job.path ? twin : s;
            x.builder.addRep(rep, k > 1 ? p : undefined);
            if (x.job.raw) x.raw.push(rep.raw ?? []);
          },
        },
      );
      for (const x of twin ? [s, twin] : [s]) {
        const result = results.find((r) => r.path === x.job.path)!;
        x.results.push(result);
        if (twin) x.pairedProcs++;
        if (result.status !== 'ok' || p === x.procs - 1) await finish(x);
      }
      // summary.json keeps the suite's order: a row waits for the rows before it
      for (; written < states.length && states[written].row; written++) {
        // the host entry written with the row counts it among the jobs done
        markUnfinished(entry, states.length, written + 1);
        progress.written = written + 1;
        await ctx.writer.addRow(states[written].row!);
        ctx.onRow?.(states[written].row!);
      }
    }
  }
  return states.flatMap((s) => s.row ?? []);
}

/**
 * One result line for the processes of a job: the first that is not ok decides the status (and its
 * reason); samples add up; `extra` (op-specific figures) is the first process's.
 */
export function mergeResults(results: ResultLine[]): ResultLine {
  const bad = results.find((r) => r.status !== 'ok');
  const first = results[0];
  return {
    ...first,
    ...(bad && { status: bad.status, reason: bad.reason, errno: bad.errno, errnoName: bad.errnoName }),
    samples: results.reduce((a, r) => a + r.samples, 0),
    elapsedNs: results.reduce((a, r) => a + (r.elapsedNs ?? 0), 0),
  };
}
