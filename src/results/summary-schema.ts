/**
 * The zod schema of summary.json as readSummary checks it (the types are in schema.ts). Objects are
 * loose: a key this version does not know is kept, so a run read and written back loses nothing.
 */
import { z } from 'zod';
import type { Fingerprint } from '../probe/fingerprint.js';
import type { HostStatus, HostSubStatus, RowStatus } from './schema.js';

// Each status list is a Record over the union in schema.ts: a status added there fails the type
// check here until it is listed, so the schema cannot lag behind the type.
const ROW_STATUS: Record<RowStatus, true> = { ok: true, unsupported: true, failed: true };
const HOST_STATUS: Record<HostStatus, true> = { ok: true, failed: true };
const HOST_SUB_STATUS: Record<HostSubStatus, true> = {
  unreachable: true,
  auth: true,
  hostkey: true,
  timeout: true,
  lost: true,
  'probe-error': true,
  locked: true,
  interrupted: true,
  unsuitable: true,
};
const names = <T extends string>(r: Record<T, true>) => Object.keys(r) as [T, ...T[]];

export const rowStatus = z.enum(names(ROW_STATUS));
export const hostStatus = z.enum(names(HOST_STATUS));
export const hostSubStatus = z.enum(names(HOST_SUB_STATUS));

const nsOrNull = z.number().nullable();

const repStat = z.looseObject({
  samples: z.number(),
  p50: z.number(),
  p99: z.number(),
  mean: z.number(),
  process: z.number().int().optional(),
  syscallNs: z.number().nonnegative().optional(),
  wall: z.number().nonnegative().optional(),
});

export const resultRow = z.looseObject({
  host: z.string(),
  path: z.string(),
  op: z.string(),
  granule: z.number(),
  threads: z.number().int(),
  status: rowStatus,
  reason: z.string().optional(),
  errno: z.number().int().optional(),
  errnoName: z.string().optional(),
  samples: z.number().int(),
  unit: z.literal('ns'),
  min: nsOrNull,
  p50: nsOrNull,
  p90: nsOrNull,
  p99: nsOrNull,
  p999: nsOrNull,
  max: nsOrNull,
  mean: nsOrNull,
  stddev: nsOrNull,
  wall: z.number().nonnegative().optional(),
  histogram: z.string().nullable(),
  repetitions: z.array(repStat),
  params: z.looseObject({ region: z.number(), repetitions: z.number(), warmup: z.number() }),
  // each op's figures are checked against its own schema where they are used (output/notes.ts)
  extra: z.record(z.string(), z.unknown()).optional(),
  syscallNs: z.number().nonnegative().optional(),
  processes: z.number().int().optional(),
  pairedWith: z.string().optional(),
  cpus: z.array(z.number().int()).nullable().optional(),
  rawFile: z.string().optional(),
});

/**
 * The fingerprint was checked against the probe's schema when it was measured (probe/fingerprint.ts);
 * a stored one only has to be an object (test fixtures and older probes keep part of it).
 */
const storedFingerprint = z.custom<Fingerprint>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  message: 'expected the host fingerprint object or null',
});

export const hostEntry = z.looseObject({
  name: z.string(),
  status: hostStatus,
  subStatus: hostSubStatus.optional(),
  error: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  fingerprint: storedFingerprint.nullable(),
  systemWarnings: z.array(z.string()).optional(),
});

export const runSummary = z.looseObject({
  schemaVersion: z.number().int(),
  runId: z.string(),
  suite: z.looseObject({ name: z.string(), file: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  harness: z.looseObject({ version: z.string(), probeSha256: z.string(), node: z.string() }),
  hosts: z.array(hostEntry),
  results: z.array(resultRow),
  measurement: z
    .looseObject({
      processes: z.number().int(),
      pin: z.string(),
      settle: z.boolean(),
      pair: z.tuple([z.string(), z.string()]).optional(),
    })
    .optional(),
});

/**
 * How a summary of an older schemaVersion becomes one of the next: MIGRATIONS[n] takes version n to
 * n + 1. Empty while 1 is the only version; a version with no way forward is refused with the reason.
 */
export const MIGRATIONS: Partial<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {};
