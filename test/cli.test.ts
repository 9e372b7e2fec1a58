/** The command line as a user runs it: a tiny suite end to end, --raw, --json, bad input. */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';

if (!hasCc) skipReason('CLI run tests', 'no C compiler (cc) on this machine');

describe.skipIf(!hasCc)('gmembench run', () => {
  let dir: string;
  let suiteFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-cli-'));
    suiteFile = join(dir, 'tiny.yaml');
    await writeFile(
      suiteFile,
      [
        'name: tiny',
        'defaults: {repetitions: 2, warmup: 0}',
        'workloads:',
        '  - {paths: [shmem, hugetlb], ops: [alloc, punch], granules: [4K], region: 1M}',
      ].join('\n'),
    );
  });

  it('runs a suite, prints the table and writes summary.json (and raw samples)', async () => {
    const r = await cli([
      'run',
      suiteFile,
      '--results',
      join(dir, 'results'),
      '--raw',
      '--progress',
      'plain',
      '--wide',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // the paths are column groups: shmem over p50 p99 p90 max sd calls; one row per op/granule/threads
    expect(r.stdout).toMatch(/^\s+shmem\s*$/m);
    expect(r.stdout).toMatch(/op\s+granule\s+thr\s+p50\s+p99\s+p90\s+max\s+sd\s+calls/);
    expect(r.stdout).toMatch(/alloc\s+4K\s+1(\s+\d[\d.]*[nuµm]?s){5}\s+512\s*$/m);
    expect(r.stdout).toMatch(/hugetlb alloc, punch 4K unsupported/);
    const runs = await readdir(join(dir, 'results'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-tiny-[0-9a-f]{4}$/);
    const summary = JSON.parse(await readFile(join(dir, 'results', runs[0], 'summary.json'), 'utf8'));
    const row = summary.results.find((x: { path: string; op: string }) => x.path === 'shmem' && x.op === 'alloc');
    expect(row.rawFile).toMatch(/^raw\//);
    const raw = JSON.parse(await readFile(join(dir, 'results', runs[0], row.rawFile), 'utf8'));
    expect(raw.repetitions).toHaveLength(2);
    expect(raw.repetitions[0]).toHaveLength(256);
    expect(Math.min(...raw.repetitions.flat())).toBe(row.min);
    expect(Math.max(...raw.repetitions.flat())).toBe(row.max);
  });

  it('prints the summary as JSON with --json', async () => {
    const r = await cli(['run', suiteFile, '--results', join(dir, 'results-json'), '--json', '--progress', 'silent']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.results.map((x: { status: string }) => x.status)).toEqual(['ok', 'ok', 'unsupported', 'unsupported']);
    // measured as the noise benchmark chose: 3 processes a job, each thread pinned (README, "Noise")
    expect(s.measurement).toEqual({ processes: 3, pin: 'auto', settle: false });
    for (const x of s.results.filter((x: { status: string }) => x.status === 'ok')) expect(x.cpus).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('a malformed suite exits 2 naming file, line and field, and measures nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-bad-'));
    const f = join(dir, 'bad.yaml');
    await writeFile(f, 'workloads:\n  - paths: [shmem]\n    ops: [alloc]\n    granules: [4K]\n    threads: [0]\n');
    const r = await cli(['run', f, '--results', join(dir, 'results')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:5:`);
    expect(r.stderr).toContain('workloads[0].threads[0]');
    await expect(readdir(join(dir, 'results'))).rejects.toThrow();
  });

  it('a missing suite exits 2 naming the file', async () => {
    const r = await cli(['run', '/nonexistent/suite.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/suite.yaml');
  });

  it('lists the workloads', async () => {
    const r = await cli(['workloads']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('alloc');
    expect(r.stdout).toContain('timed:');
  });
});
