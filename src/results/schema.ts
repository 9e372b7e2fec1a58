/**
 * The run summary: the one file every later stage (export, compare, regress, dashboards) reads.
 * Stored as results/<runId>/summary.json. camelCase, times in nanoseconds, sizes in bytes.
 */
import type { Fingerprint } from '../probe/fingerprint.js';

export const SCHEMA_VERSION = 1;

export type RowStatus = 'ok' | 'unsupported' | 'failed';
export type HostStatus = 'ok' | 'failed';
/** Why a host failed: set only when status is 'failed'. */
export type HostSubStatus = 'unreachable' | 'auth' | 'hostkey' | 'timeout' | 'lost' | 'probe-error' | 'locked' | 'interrupted'
  /** the suite asks what the host cannot give (its page size, its memory): nothing was measured */
  | 'unsuitable';

/** Statistics of one timed repetition (one pass over the region), kept for significance tests. */
export interface RepStat {
  samples: number;
  p50: number;
  p99: number;
  mean: number;
  /** 0-based index of the probe process that measured it, when several processes measured the row */
  process?: number;
  /** the median null syscall timed around the repetition's pass (probe/ref.c), ns */
  syscallNs?: number;
  /** jobs of 2+ threads: the pass's wall time over its calls (all threads'), ns a call; see ResultRow.wall */
  wall?: number;
}

export interface ResultRow {
  host: string;
  path: string;
  op: string;
  /** bytes */
  granule: number;
  threads: number;
  status: RowStatus;
  reason?: string;
  errno?: number;
  errnoName?: string;
  /** number of timed calls */
  samples: number;
  unit: 'ns';
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  /**
   * jobs of 2 or more threads of ops whose timed loop is only the timed calls (alloc, fault, punch;
   * probe/probe.h `wall`), from probes that time it: the passes' wall time (the first thread's start
   * at the barrier to the last one's last call) over the calls of all threads, ns a call: one over
   * the throughput. Where the threads contend for a lock, each call's latency moves with whether the
   * lock hands over or lets one thread run on; this stays. (With one thread it is the mean.)
   */
  wall?: number;
  /** HdrHistogram V2 compressed, base64 (hdr-histogram-js encodeIntoCompressedBase64); null without samples */
  histogram: string | null;
  repetitions: RepStat[];
  params: { region: number; repetitions: number; warmup: number; [k: string]: unknown };
  /** op-specific figures (outcome counts, throughput, integrity ...) */
  extra?: Record<string, unknown>;
  /**
   * the host's null syscall beside the row's passes: the mean over its repetitions of the median
   * null syscall timed around each (probe/ref.c), ns; absent from older probes. A figure divided by
   * it is relative to what entering the kernel cost at those moments (analysis/reference.ts).
   */
  syscallNs?: number;
  /** how many separate probe processes measured the row (set when run asked for more than one) */
  processes?: number;
  /** the path timed beside this row's in the same probe processes, passes interleaved (run --pair) */
  pairedWith?: string;
  /** the CPU each thread was pinned to (thread order); null: left to the scheduler; absent: not recorded */
  cpus?: number[] | null;
  /** relative path (from the run directory) of the raw samples, with --raw */
  rawFile?: string;
}

export interface HostEntry {
  name: string;
  status: HostStatus;
  subStatus?: HostSubStatus;
  error?: string;
  labels: Record<string, string>;
  fingerprint: Fingerprint | null;
  /** what looked noisy on the host when the run started (src/system/check.ts), one line each */
  systemWarnings?: string[];
  /**
   * jobs (rows) of the suite on this host, and how many of them did not run: set on a host that did
   * not finish (subStatus 'interrupted', or a failure mid-run). While the host measures, its entry
   * on disk already says 'interrupted' with the jobs still to run, so a controller killed outright
   * (kill -9) leaves a summary that says so. Absent in older summaries (see results/unfinished.ts).
   */
  jobsTotal?: number;
  jobsNotRun?: number;
}

export interface RunSummary {
  schemaVersion: number;
  runId: string;
  suite: { name: string; file: string };
  startedAt: string;
  finishedAt: string | null;
  harness: { version: string; probeSha256: string; node: string };
  hosts: HostEntry[];
  results: ResultRow[];
  /** how the run measured: probe processes per job, thread pinning, memory settled before each job */
  measurement?: { processes: number; pin: string; settle: boolean; pair?: [string, string] };
}

/** The identity of a series: what compare, regress and the time-series store key rows by. */
export function seriesKey(r: Pick<ResultRow, 'host' | 'path' | 'op' | 'granule' | 'threads'>): string {
  return `${r.host}/${r.path}/${r.op}/${r.granule}/${r.threads}`;
}
