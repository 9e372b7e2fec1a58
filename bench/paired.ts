/**
 * How steady is a gmem/shmem ratio? Two ways of measuring it, PAIRED_ROUNDS rounds (default 20)
 * interleaved, each round fresh processes (bench/paired.c):
 * - in one process: both paths, their passes interleaved A B B A ..., the ratio of the two medians;
 * - in two processes, one per path, run one right after the other (what `run` does today: every
 *   job is its own probe processes), the ratio of their medians.
 * Per op: the CV over the rounds of each path's p50 and of the ratio, both ways. A control pairs
 * shmem with shmem (the ratio's floor). The probe measures every path in processes of its own, so
 * this is what pairing the paths inside a probe process would give its gmem/shmem figures.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cv } from '../src/analysis/stats/describe.js';
import { formatColumns } from '../src/output/columns.js';

const OPS = ['alloc', 'fault', 'punch'];
const GRANULE = 4096;
const REGION = 8 << 20;
const PASSES = 6;

async function p50s(bin: string, op: string, paths: string[]): Promise<number[] | null> {
  const r = await execa(bin, [op, String(GRANULE), String(REGION), String(PASSES), ...paths], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as { p50: number[] }).p50 : null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function run(): Promise<void> {
  const rounds = Number(process.env.PAIRED_ROUNDS ?? 20);
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-paired-'));
  const bin = join(dir, 'paired');
  try {
    await execa('cc', ['-O2', resolve(import.meta.dirname, 'paired.c'), '-o', bin]);
    const gmem = (await p50s(bin, 'alloc', ['gmem'])) !== null;
    if (!gmem) process.stdout.write('gmem: KVM_CREATE_GUEST_MEMFD fails here; only the shmem/shmem control runs\n');
    const pairs = [...(gmem ? [['shmem', 'gmem']] : []), ['shmem', 'shmem']];
    const rows: string[][] = [];
    for (const op of OPS)
      for (const [a, b] of pairs) {
        const one: number[][] = [];
        const two: number[][] = [];
        for (let i = 0; i < rounds; i++) {
          const together = await p50s(bin, op, [a, b]);
          const first = await p50s(bin, op, [a]);
          const second = await p50s(bin, op, [b]);
          if (!together || !first || !second) throw new Error(`paired ${op} ${a} ${b}: a path failed`);
          one.push(together);
          two.push([first[0], second[0]]);
        }
        const ratio = (xs: number[][]) => cv(xs.map(([x, y]) => y / x));
        rows.push([
          `${op} 4K`,
          `${b}/${a}`,
          pct(cv(one.map((x) => x[0]))),
          pct(cv(one.map((x) => x[1]))),
          pct(ratio(one)),
          pct(ratio(two)),
        ]);
      }
    process.stdout.write(
      `CV over ${rounds} rounds (fresh processes each round, ${PASSES} passes of ${REGION >> 20} MiB per path):\n` +
        formatColumns(
          [
            { header: 'op' },
            { header: 'ratio' },
            { header: 'first path p50', align: 'right' },
            { header: 'second path p50', align: 'right' },
            { header: 'ratio, one process', align: 'right' },
            { header: 'ratio, two processes', align: 'right' },
          ],
          rows,
        ) +
        '\n',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
