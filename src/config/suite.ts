/**
 * A suite: what to measure. YAML under suites/, validated here; expanded into probe jobs by
 * benchmark/jobs.ts. See suites/smoke.yaml for a commented example.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { loadYaml } from './load.js';
import { parseSize } from '../util/units.js';
import { WORKLOAD_NAMES, WORKLOADS } from '../workloads/index.js';

export const PATHS = ['shmem', 'gmem', 'hugetlb', 'secretmem'] as const;
export type PathName = (typeof PATHS)[number];


const size = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  try {
    const n = parseSize(v);
    if (n <= 0) throw new Error('must be positive');
    return n;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const threads = z.union([z.number().int().min(1).max(1024), z.literal('all')]);
/** `x` or `[x, y]`: a single value is a list of one (errors then point at the element) */
const oneOrMany = <T extends z.ZodType>(t: T) =>
  z.preprocess((v) => (Array.isArray(v) || v === undefined ? v : [v]), z.array(t).min(1));

const settings = {
  region: size.optional(),
  repetitions: z.number().int().min(1).max(100000).optional(),
  warmup: z.number().int().min(0).max(1000).optional(),
  threads: oneOrMany(threads).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
};

export const workloadSchema = z
  .object({
    name: z.string().min(1).optional(),
    paths: oneOrMany(z.enum(PATHS)),
    ops: oneOrMany(z.enum(WORKLOAD_NAMES)),
    granules: oneOrMany(size),
    ...settings,
  })
  .strict();

export const suiteSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    /** refuse a job whose footprint is above this share of the host's MemAvailable */
    maxMemShare: z.number().gt(0).max(0.95).optional(),
    defaults: z.object(settings).strict().optional(),
    workloads: z.array(workloadSchema).min(1),
  })
  .strict()
  .superRefine((suite, ctx) => {
    // each op checks its own params (defaults merged in), so a typo fails before anything runs
    suite.workloads.forEach((w, i) => {
      const params = { ...(suite.defaults?.params ?? {}), ...(w.params ?? {}) };
      for (const op of w.ops) {
        const schema = WORKLOADS[op]?.params;
        if (!schema) continue;
        const r = schema.safeParse(params);
        if (r.success) continue;
        for (const issue of r.error.issues) {
          const inWorkload = w.params !== undefined && issue.path[0] !== undefined && String(issue.path[0]) in w.params;
          ctx.addIssue({
            code: 'custom',
            path: inWorkload ? ['workloads', i, 'params', ...issue.path] : ['defaults', 'params', ...issue.path],
            message: `${op}: ${issue.message}`,
          });
        }
      }
    });
  });

export type SuiteFile = z.output<typeof suiteSchema>;
export type Workload = z.output<typeof workloadSchema>;

export interface Suite extends SuiteFile {
  name: string;
  file: string;
}

export async function loadSuite(file: string): Promise<Suite> {
  const data = await loadYaml(file, suiteSchema);
  return { ...data, name: data.name ?? basename(file).replace(/\.ya?ml$/, ''), file };
}
