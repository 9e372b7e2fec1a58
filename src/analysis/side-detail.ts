/**
 * What a cover letter must say about each side of a comparison: per host the kernel release and
 * command line and the CPU; the dates, suites, number of runs and repetitions, the probe, and how
 * the runs measured (a side measured otherwise than the other differs in more than its kernel).
 * Distinct values over the side's runs, in the order met (one each when the runs agree).
 */
import type { RunSummary } from '../results/schema.js';
import { measurementLabel } from '../results/measurement.js';

export interface HostDetail {
  host: string;
  kernels: string[];
  cmdlines: string[];
  /** "Intel(R) Xeon(R) Processor, 2 cores" */
  cpus: string[];
}

export interface SideDetail {
  runs: number;
  /** startedAt of the oldest and the newest run */
  first: string;
  last: string;
  suites: string[];
  /** the probes' sha256, first 12 hex digits */
  probes: string[];
  /** repetitions per row (params.repetitions of the ok rows), largest first */
  repetitions: number[];
  /** ops measured with one repetition per run (e.g. compact, stress) */
  once: string[];
  /** how the runs measured ("3 processes, pin auto"; runs that record it) */
  measurements: string[];
  hosts: HostDetail[];
}

function add<T>(xs: T[], x: T | null | undefined): void {
  if (x !== null && x !== undefined && x !== '' && !xs.includes(x)) xs.push(x);
}

export function sideDetail(runs: RunSummary[]): SideDetail {
  const dates = runs
    .map((r) => r.startedAt)
    .filter((d) => !Number.isNaN(Date.parse(d)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const d: SideDetail = {
    runs: runs.length,
    first: dates[0] ?? '',
    last: dates.at(-1) ?? '',
    suites: [],
    probes: [],
    repetitions: [],
    once: [],
    measurements: [],
    hosts: [],
  };
  for (const run of runs) {
    add(d.suites, run.suite?.name);
    add(d.probes, run.harness?.probeSha256?.slice(0, 12));
    if (run.measurement) add(d.measurements, measurementLabel(run.measurement));
    for (const h of run.hosts ?? []) {
      let hd = d.hosts.find((x) => x.host === h.name);
      if (!hd) d.hosts.push((hd = { host: h.name, kernels: [], cmdlines: [], cpus: [] }));
      const f = h.fingerprint;
      add(hd.kernels, f?.kernel?.release);
      add(hd.cmdlines, f?.kernel?.cmdline);
      if (f?.cpu?.model) add(hd.cpus, `${f.cpu.model}${f.cpu.cores ? `, ${f.cpu.cores} cores` : ''}`);
    }
    for (const r of run.results ?? []) {
      if (r.status !== 'ok') continue;
      const reps = r.params?.repetitions ?? r.repetitions?.length;
      // a row of no repetitions was not measured as a job (compare --reference's null-syscall row)
      if (!reps) continue;
      add(d.repetitions, reps);
      if (reps === 1) add(d.once, r.op);
    }
  }
  d.repetitions.sort((a, b) => b - a);
  return d;
}
