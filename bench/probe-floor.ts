/**
 * The probe against the floor: for each path, op and granule, the probe's p50 beside the p50 of a
 * minimal C loop (bench/floor.c) that times only the same syscall, measured interleaved in one run.
 * Target: the probe within 5% of the floor.
 */
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildProbe } from '../src/probe/build.js';
import { ProbeClient } from '../src/probe/client.js';
import { LocalTransport } from '../src/transport/local.js';
import { summarizeRow } from '../src/analysis/summarize.js';
import { formatColumns } from '../src/output/columns.js';
import { formatNs, formatSize } from '../src/util/units.js';
import type { ProbeJob } from '../src/probe/protocol.js';
import { median } from '../src/analysis/stats/describe.js';

const ROUNDS = 5;
const REPS = 3;

export async function run(): Promise<void> {
  const probe = await buildProbe();
  const floor = join(await mkdtemp(join(tmpdir(), 'gmembench-floor-')), 'floor');
  await execa('cc', ['-O2', '-static', resolve(import.meta.dirname, 'floor.c'), '-o', floor]);
  const client = new ProbeClient(new LocalTransport(), probe.path);
  const rows: string[][] = [];
  for (const path of ['shmem', 'gmem'])
    for (const op of ['alloc', 'fault', 'punch'])
      for (const granule of [4096, 2 << 20]) {
        const region = granule === 4096 ? 16 << 20 : 128 << 20;
        const job: ProbeJob = {
          path,
          op,
          granule,
          region,
          threads: 1,
          repetitions: REPS,
          warmup: 1,
          maxMemShare: 0.5,
          raw: false,
          params: {},
        };
        const probeP50: number[] = [];
        const floorP50: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const out = await client.run(job);
          if (out.result.status !== 'ok') {
            rows.push([path, op, formatSize(granule), '-', '-', out.result.status]);
            break;
          }
          probeP50.push(summarizeRow('local', job, out.reps, out.result).p50!);
          const f = await execa(floor, [path, op, String(granule), String(region), String(REPS)]);
          floorP50.push(JSON.parse(f.stdout).p50);
        }
        if (probeP50.length === ROUNDS) {
          const p = median(probeP50);
          const fl = median(floorP50);
          rows.push([path, op, formatSize(granule), formatNs(p), formatNs(fl), (p / fl).toFixed(3)]);
        }
      }
  process.stdout.write(
    `probe p50 vs a minimal C loop timing the same call (median of ${ROUNDS} interleaved rounds, ${REPS} passes each)\n` +
      formatColumns(
        [
          { header: 'path' },
          { header: 'op' },
          { header: 'granule', align: 'right' },
          { header: 'probe p50', align: 'right' },
          { header: 'floor p50', align: 'right' },
          { header: 'ratio', align: 'right' },
        ],
        rows,
      ) +
      '\ntarget: ratio <= 1.05\n',
  );
}
