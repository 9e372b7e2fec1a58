/**
 * A suite: what to measure. YAML under suites/, validated here; expanded into probe jobs by
 * benchmark/jobs.ts. See suites/smoke.yaml for a commented example.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { loadYaml } from './load.js';
import { formatSize, parseSize } from '../util/units.js';
import { WORKLOAD_NAMES, WORKLOADS } from '../workloads/index.js';
import { DEFAULTS } from '../benchmark/jobs.js';
import { ConfigError } from './load.js';
import { nameProblem, nameSchema } from './names.js';

export const PATHS = ['shmem', 'gmem', 'hugetlb', 'secretmem'] as const;
export type PathName = (typeof PATHS)[number];

/** the smallest page of any host: granules and regions are multiples of it (the host's own page size is checked before it measures: benchmark/precheck.ts) */
export const MIN_PAGE_SIZE = 4096;

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
    name: nameSchema.optional(),
    paths: oneOrMany(z.enum(PATHS)),
    ops: oneOrMany(z.enum(WORKLOAD_NAMES)),
    granules: oneOrMany(size),
    ...settings,
  })
  .strict();

const suiteBase = z
  .object({
    name: nameSchema.optional(),
    description: z.string().optional(),
    /** refuse a job whose footprint is above this share of the host's MemAvailable */
    maxMemShare: z.number().gt(0).max(0.95).optional(),
    defaults: z.object(settings).strict().optional(),
    workloads: z.array(workloadSchema).min(1),
  })
  .strict();

export const suiteSchema = suiteBase.superRefine((suite, ctx) => {
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
  checkGeometry(suite, ctx);
});

type Issue = { path: (string | number)[]; message: string };

/**
 * Granules and regions, as far as they are known without a host: page multiples, and a region that
 * holds threads x granule (a region is never enlarged to fit). "threads: all" is checked per host.
 */
function checkGeometry(suite: z.output<typeof suiteBase>, ctx: z.RefinementCtx): void {
  const issue = (i: Issue) => ctx.addIssue({ code: 'custom', ...i });
  const d = suite.defaults ?? {};
  suite.workloads.forEach((w, i) => {
    const region = w.region ?? d.region ?? DEFAULTS.region;
    const regionPath =
      w.region !== undefined
        ? ['workloads', i, 'region']
        : d.region !== undefined
          ? ['defaults', 'region']
          : ['workloads', i];
    if (region % MIN_PAGE_SIZE) {
      issue({
        path: regionPath,
        message: `region ${region} bytes is not a multiple of the page size (${MIN_PAGE_SIZE} bytes)`,
      });
      return;
    }
    const threadList = w.threads ?? d.threads ?? DEFAULTS.threads;
    const threadsPath = (k: number) =>
      w.threads !== undefined ? ['workloads', i, 'threads', k] : ['defaults', 'threads', k];
    w.granules.forEach((g, j) => {
      const at = ['workloads', i, 'granules', j];
      if (g % MIN_PAGE_SIZE) {
        issue({ path: at, message: `granule ${g} bytes is not a multiple of the page size (${MIN_PAGE_SIZE} bytes)` });
      } else if (g > region) {
        issue({
          path: at,
          message: `granule ${formatSize(g)} is larger than the region ${formatSize(region)} (a region is never enlarged: raise region or use a smaller granule)`,
        });
      } else {
        threadList.forEach((t, k) => {
          if (t === 'all' || g * t <= region) return;
          issue({
            path: threadsPath(k),
            message: `${t} threads x granule ${formatSize(g)} do not fit in the region ${formatSize(region)} (each thread needs a granule of its own; the region is never enlarged)`,
          });
        });
      }
    });
  });
}

export type SuiteFile = z.output<typeof suiteSchema>;
export type Workload = z.output<typeof workloadSchema>;

export interface Suite extends SuiteFile {
  name: string;
  file: string;
}

export async function loadSuite(file: string): Promise<Suite> {
  const data = await loadYaml(file, suiteSchema);
  const name = data.name ?? basename(file).replace(/\.ya?ml$/, '');
  const problem = data.name === undefined ? nameProblem(name) : null;
  if (problem) {
    throw new ConfigError(file, [
      {
        line: 1,
        col: 1,
        field: 'name',
        message: `no name: given, and the file's name ${JSON.stringify(name)} ${problem}: give the suite a name:`,
      },
    ]);
  }
  return { ...data, name, file };
}
