/**
 * The controller's peak memory as the number of timed calls grows: the same suite at 1x, 10x and
 * 100x the calls (bigger regions, same jobs and repetitions), each run in its own controller
 * process, which reports its own peak RSS. Histograms, not arrays of samples: the target is a
 * 100x/10x ratio under 1.2.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatColumns } from '../src/output/columns.js';

const ROOT = resolve(import.meta.dirname, '..');
const BASE_REGION_MIB = 4; // 1024 calls of 4 KiB per repetition
const REPS = 5;
const JOBS = ['alloc', 'punch'];

async function peakRss(scale: number, dir: string): Promise<{ calls: number; kib: number; seconds: number }> {
  const suite = join(dir, `mem-${scale}x.yaml`);
  const region = BASE_REGION_MIB * scale;
  await writeFile(
    suite,
    `name: mem-${scale}x\nmaxMemShare: 0.9\ndefaults: {repetitions: ${REPS}, warmup: 0}\nworkloads:\n` +
      `  - {paths: [shmem], ops: [${JOBS.join(', ')}], granules: [4K], region: ${region}M}\n`,
  );
  const t0 = performance.now();
  const r = await execa(
    'node',
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/index.ts'),
      'run',
      suite,
      '--results',
      join(dir, 'results'),
      '--progress',
      'silent',
    ],
    {
      env: { GMEMBENCH_REPORT_RSS: '1' },
      cwd: ROOT,
    },
  );
  const m = /gmembench-maxrss-kib (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no RSS report: ${r.stderr}`);
  return {
    calls: ((region << 20) / 4096) * REPS * JOBS.length,
    kib: Number(m[1]),
    seconds: (performance.now() - t0) / 1000,
  };
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-mem-'));
  try {
    const rows: { scale: number; calls: number; kib: number; seconds: number }[] = [];
    for (const scale of [1, 10, 100]) rows.push({ scale, ...(await peakRss(scale, dir)) });
    process.stdout.write(
      formatColumns(
        [
          { header: 'scale', align: 'right' },
          { header: 'timed calls', align: 'right' },
          { header: 'controller peak RSS', align: 'right' },
          { header: 'wall', align: 'right' },
        ],
        rows.map((r) => [
          `${r.scale}x`,
          r.calls.toLocaleString('en'),
          `${(r.kib / 1024).toFixed(1)} MiB`,
          `${r.seconds.toFixed(1)} s`,
        ]),
      ) + '\n',
    );
    const ratio = rows[2].kib / rows[1].kib;
    process.stdout.write(
      `peak RSS 100x / 10x = ${ratio.toFixed(3)} (target < 1.2): ${ratio < 1.2 ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
