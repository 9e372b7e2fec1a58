/**
 * A workload (an "op" in a suite) as the controller sees it. The measuring itself is in the probe
 * (probe/op_<name>.c); this side documents it and checks its parameters before a job is sent.
 * Adding a workload: one probe/op_<name>.c (plus its line in probe/run.c's ops[] and its extern in
 * probe/probe.h), one src/workloads/<name>.ts, one line in index.ts.
 */
import type { z } from 'zod';

export interface WorkloadDef {
  name: string;
  /** one line for `gmembench workloads` and the README */
  summary: string;
  /** exactly what lies between the two clock reads of one sample */
  timed: string;
  /** samples per repetition for a job; the probe must report this many (checked by tests) */
  /** the op's `params` (suite `params:`), checked when the suite is loaded; other keys are left alone */
  params?: z.ZodObject;
  samplesPerRep(job: { region: number; granule: number; threads: number; params: Record<string, unknown> }): number | null;
}

export const perGranule: WorkloadDef['samplesPerRep'] = (job) => Math.floor(job.region / job.granule);
