/**
 * A results folder that fills up or cannot be written, on a real tiny tmpfs mounted in the test's
 * own temp dir (root only): the run says what failed on which file and how many rows are safely
 * on disk, prints what it measured, leaves no temporary file behind, and exits 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cli } from './helpers/cli.js';
import { hasCc, isRoot, skipReason } from './helpers/host.js';
import { makeDir, readSummary, ResultsWriteError, writeFileAtomic } from '../src/results/store.js';

const why = !isRoot ? 'not root: cannot mount a tmpfs' : hasCc ? null : 'no C compiler (cc) to build the probe';
if (why) skipReason('full-disk and read-only results tests', why);

/** every granule from 4K to 512K, alloc and fault: 14 quick jobs, a row of about 1 KB each */
const SUITE = `name: disk
defaults: {warmup: 0, repetitions: 2}
workloads:
  - {paths: [shmem], ops: [alloc, fault], granules: [4K, 8K, 16K, 32K, 64K, 128K, 256K], region: 1M}
`;

describe('result writes name the file and the error', () => {
  it('a failed atomic write names its file and errno and leaves no temp file; a directory under a file names the file', async () => {
    const d = await mkdtemp(join(tmpdir(), 'gmembench-write-'));
    try {
      // the target is a directory: the temp file is written, the rename fails
      await mkdir(join(d, 'summary.json'));
      const err = await writeFileAtomic(join(d, 'summary.json'), '{}').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResultsWriteError);
      expect((err as Error).message).toBe(
        `cannot write ${join(d, 'summary.json')}: illegal operation on a directory (EISDIR)`,
      );
      expect((await readdir(d)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await writeFile(join(d, 'plain'), 'x');
      const nd = await makeDir(join(d, 'plain', 'run', 'raw')).then(
        () => null,
        (e: unknown) => e,
      );
      expect((nd as Error).message).toBe(
        `cannot create the directory ${join(d, 'plain', 'run')}: not a directory (ENOTDIR)`,
      );
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe.skipIf(why !== null)('results on a full or read-only file system', () => {
  let dir: string;
  let suite: string;
  let inv: string;
  const mounts: string[] = [];
  const tmpfs = async (name: string, size: string) => {
    const m = join(dir, name);
    await mkdir(m);
    await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', m]);
    mounts.push(m);
    return m;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-disk-'));
    suite = join(dir, 'disk.yaml');
    await writeFile(suite, SUITE);
    inv = join(dir, 'hosts.yaml');
    await writeFile(inv, JSON.stringify({ hosts: [{ name: 'loc', transport: 'local', lockPath: join(dir, 'lock') }] }));
  });
  afterAll(async () => {
    for (const m of mounts) await execa('umount', [m], { reject: false });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a full disk: names summary.json and ENOSPC, counts the rows on disk, removes its temp files, prints what it measured', async () => {
    const m = await tmpfs('small', '24k');
    const r = await cli([
      'run',
      suite,
      '--hosts',
      inv,
      '--results',
      m,
      '--run-id',
      'full',
      '--progress',
      'plain',
      '--processes',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const file = join(m, 'full', 'summary.json');
    expect(r.stderr).toContain(`cannot write ${file}: no space left on device (ENOSPC)`);
    const said = /(\d+) of the (\d+) row\(s\) measured are safely on disk in (\S+) \(its last complete write\)/.exec(
      r.stderr,
    );
    expect(said, r.stderr).not.toBeNull();
    expect(said![3]).toBe(file);
    const [onDisk, measured] = [Number(said![1]), Number(said![2])];
    // the run stopped at the first failed write, short of the suite's 14 jobs
    expect(measured).toBeLessThan(14);
    expect(onDisk).toBeLessThan(measured);
    const s = await readSummary(file);
    expect(s.results.length).toBe(onDisk);
    expect(s.finishedAt).toBeNull();
    expect(s.hosts[0]).toMatchObject({ name: 'loc', status: 'failed', subStatus: 'interrupted', jobsTotal: 14 });
    expect(s.hosts[0].jobsNotRun).toBeGreaterThan(0);
    // no temporary file of the writer is left; the lock is released
    expect((await readdir(join(m, 'full'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await readdir(dir)).includes('lock')).toBe(false);
    // every row measured is in the table on stdout, the ones the disk could not take too
    const rows = r.stdout.split('\n').filter((l) => /^\s*(alloc|fault)\s+\d+K\s+1\s/.test(l));
    expect(rows.length, r.stdout).toBe(measured);
  });

  it('a read-only folder: names the directory and EROFS (not ENOENT), and measures nothing', async () => {
    const m = await tmpfs('ro', '64k');
    await execa('mount', ['-o', 'remount,ro', m]);
    const r = await cli(['run', suite, '--hosts', inv, '--results', join(m, 'results'), '--progress', 'silent']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot create the directory ${join(m, 'results')}: read-only file system (EROFS)`);
    expect(r.stderr).toContain('nothing was measured or written');
    expect(r.stderr).not.toContain('ENOENT');
    expect((await readdir(dir)).includes('lock')).toBe(false);
  });
});
