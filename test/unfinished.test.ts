/**
 * A run that did not finish says so: the host entry (interrupted, with the jobs not run) written by
 * a real run stopped by SIGTERM, an older summary with only `finishedAt: null`, and what report,
 * compare and push print about them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { freePort } from './helpers/influxd.js';
import { readSummary } from '../src/results/store.js';
import { unfinishedHosts, unfinishedNote } from '../src/results/unfinished.js';
import type { HostEntry } from '../src/results/schema.js';

const host = (h: Partial<HostEntry>): HostEntry => ({ name: 'h0', status: 'ok', labels: {}, fingerprint: null, ...h });

describe('unfinished runs in words', () => {
  it('names interrupted hosts with the jobs not run, and an older summary by its finishedAt only', () => {
    expect(unfinishedNote({ runId: 'r', finishedAt: 'x', hosts: [host({})] })).toBeNull();
    expect(
      unfinishedNote({
        runId: 'r',
        finishedAt: 'x',
        hosts: [
          host({}),
          host({ name: 'h1', status: 'failed', subStatus: 'interrupted', jobsTotal: 40, jobsNotRun: 12 }),
        ],
      }),
    ).toBe('run r is incomplete: h1 interrupted, 12 of 40 jobs not run');
    expect(
      unfinishedHosts({
        finishedAt: 'x',
        hosts: [host({ status: 'failed', subStatus: 'lost', jobsTotal: 4, jobsNotRun: 3 })],
      }),
    ).toEqual(['h0 failed (lost), 3 of 4 jobs not run']);
    // a host that failed before its jobs began is a failure, not an unfinished run
    expect(unfinishedHosts({ finishedAt: 'x', hosts: [host({ status: 'failed', subStatus: 'auth' })] })).toEqual([]);
    // written before hosts were marked (or by a controller killed before it could mark them)
    expect(unfinishedNote({ runId: 'old', finishedAt: null, hosts: [host({}), host({ name: 'h1' })] })).toBe(
      'run old is incomplete: finishedAt is null: the results of h0, h1 may be incomplete',
    );
  });
});

const why = hasCc ? null : 'no C compiler (cc) to build the probe';
if (why) skipReason('unfinished runs through the CLI', why);

describe.skipIf(why !== null)('report, compare and push on a run that did not finish', () => {
  let dir: string;
  let stopped: string;
  let old: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-unfinished-'));
    const suite = join(dir, 's.yaml');
    await writeFile(
      suite,
      `name: unf
defaults: {warmup: 0}
workloads:
  - {paths: [shmem, gmem], ops: [alloc], granules: [4K], region: 1M, repetitions: 2}
  - {paths: [shmem], ops: [fault], granules: [4K], region: 16M, repetitions: 100000}
`,
    );
    const inv = join(dir, 'hosts.yaml');
    await writeFile(inv, JSON.stringify({ hosts: [{ name: 'loc', transport: 'local', lockPath: join(dir, 'lock') }] }));
    const results = join(dir, 'results');
    const child = execa(
      'node',
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/index.ts'),
        'run',
        suite,
        '--hosts',
        inv,
        '--results',
        results,
        '--run-id',
        'stopped',
        '--progress',
        'silent',
        '--processes',
        '1',
      ],
      { cwd: ROOT, reject: false },
    );
    stopped = join(results, 'stopped');
    // a wait for a state: the hook timeout bounds it
    while (((await readSummary(stopped).catch(() => null))?.results.length ?? 0) < 2)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(143);
    // the same run as an older controller would have left it after kill -9: no marks, finishedAt null
    old = join(results, 'old');
    await cp(stopped, old, { recursive: true });
    const s = JSON.parse(await readFile(join(old, 'summary.json'), 'utf8'));
    s.runId = 'old';
    s.finishedAt = null;
    s.hosts = s.hosts.map((h: HostEntry) => ({
      name: h.name,
      status: 'ok',
      labels: h.labels,
      fingerprint: h.fingerprint,
    }));
    await writeFile(join(old, 'summary.json'), JSON.stringify(s));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the stopped run marks its host interrupted with the job it did not run', async () => {
    const s = await readSummary(stopped);
    expect(s.hosts[0]).toMatchObject({
      name: 'loc',
      status: 'failed',
      subStatus: 'interrupted',
      jobsTotal: 3,
      jobsNotRun: 1,
    });
  });

  it('report says so for each run that did not finish', async () => {
    const r = await cli(['report', stopped, old, '--html', join(dir, 'r.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'gmembench report: note: run stopped is incomplete: loc interrupted, 1 of 3 jobs not run',
    );
    expect(r.stderr).toContain(
      'gmembench report: note: run old is incomplete: finishedAt is null: the results of loc may be incomplete',
    );
    // and the page itself, under each run's heading
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<strong>run stopped is incomplete: loc interrupted, 1 of 3 jobs not run</strong>');
    expect(html).toContain('<strong>run old is incomplete: finishedAt is null');
  });

  it('compare says so, for two runs and for the paths of one', async () => {
    const r = await cli(['compare', old, stopped]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: run old is incomplete');
    expect(r.stderr).toContain('note: run stopped is incomplete: loc interrupted, 1 of 3 jobs not run');
    const p = await cli(['compare', '--paths', 'shmem,gmem', stopped]);
    expect(p.stderr).toContain('gmembench compare: note: run stopped is incomplete');
  });

  it('push says so (here to a port nobody listens on: the run stays on disk)', async () => {
    const port = await freePort();
    const r = await cli(['push', stopped, '--influx', `http://127.0.0.1:${port}`, '--retries', '0', '--timeout', '2']);
    expect(r.stderr).toContain('gmembench push: note: run stopped is incomplete: loc interrupted, 1 of 3 jobs not run');
  });
});
