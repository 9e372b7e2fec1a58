/**
 * A workload (an "op" in a suite) as the controller sees it. The measuring itself is in the probe
 * (probe/op_<name>.c); this side describes it, checks its parameters before a job is sent, checks
 * the `extra` figures the probe reports for it, and writes the note under the run table.
 * Adding a workload is two files: probe/op_<name>.c (plus its line in probe/ops.h) and
 * src/workloads/<name>.ts (plus its line in index.ts); the README's op table is generated from here.
 */
import type { z } from 'zod';

export interface WorkloadDef<X extends z.ZodType = z.ZodType> {
  name: string;
  /** one line for `gmembench workloads` */
  summary: string;
  /** exactly what lies between the two clock reads of one sample (Markdown: the README's op table) */
  timed: string;
  /** what each pass prepares, untimed (Markdown: the README's op table) */
  setup: string;
  /** the op's `params` (suite `params:`), checked when the suite is loaded; other keys are left alone */
  params?: z.ZodObject;
  /** the row's `extra` as the probe writes it; an op without one writes no `extra` */
  extra?: X;
  /** the line under the run table, from the checked `extra` */
  note?(x: z.infer<X>): string;
  /** runs alone in its probe process, never paired with another path (probe/op_*.c `.solo`) */
  solo?: boolean;
}

/** Keep the link between an op's extra schema and its note while listing it among the others. */
export function defineWorkload<X extends z.ZodType>(def: WorkloadDef<X>): WorkloadDef {
  return def;
}
