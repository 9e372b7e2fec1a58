import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSuite, type Suite } from '../src/config/suite.js';
import { precheckHost, precheckProblems } from '../src/benchmark/precheck.js';
import { failedHosts } from '../src/benchmark/outcome.js';
import type { RunSummary } from '../src/results/schema.js';
import { cli } from './helpers/cli.js';
import { hasCc } from './helpers/host.js';
import { ConfigError } from '../src/config/load.js';
import { WORKLOADS } from '../src/workloads/index.js';
import { expandJobs, fitRegion } from '../src/benchmark/jobs.js';
import { loadInventory } from '../src/config/hosts.js';
import { parseSize, formatSize, formatNs } from '../src/util/units.js';

const fixture = (n: string) => resolve(__dirname, 'fixtures/suites', n);

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('suites', () => {
  it('loads the shipped suites', async () => {
    for (const f of ['smoke.yaml', 'nightly.yaml']) {
      const s = await loadSuite(resolve(__dirname, '../suites', f));
      expect(s.workloads.length).toBeGreaterThan(0);
    }
  });

  it('smoke covers every path and op at 4K and 2M', async () => {
    const s = await loadSuite(resolve(__dirname, '../suites/smoke.yaml'));
    const jobs = expandJobs(s, { cpu: { model: 'x', microcode: null, cores: 2 } });
    for (const path of ['shmem', 'gmem', 'hugetlb', 'secretmem'])
      for (const op of ['alloc', 'fault', 'punch'])
        for (const granule of [4096, 2 * 1024 * 1024])
          expect(
            jobs.some((j) => j.path === path && j.op === op && j.granule === granule),
            `${path} ${op} ${granule}`,
          ).toBe(true);
  });

  it('nightly expands threads "all" to the host cores without duplicates', async () => {
    const s = await loadSuite(resolve(__dirname, '../suites/nightly.yaml'));
    const two = expandJobs(s, { cpu: { model: 'x', microcode: null, cores: 2 } });
    const eight = expandJobs(s, { cpu: { model: 'x', microcode: null, cores: 8 } });
    expect(new Set(two.map((j) => j.threads))).toEqual(new Set([1, 2]));
    expect(new Set(eight.map((j) => j.threads))).toEqual(new Set([1, 2, 8]));
    const key = (j: { path: string; op: string; granule: number; threads: number; region: number }) =>
      `${j.path}/${j.op}/${j.granule}/${j.threads}/${j.region}`;
    for (const jobs of [two, eight]) expect(new Set(jobs.map(key)).size).toBe(jobs.length);
    // a workload on the default [1, 2, all]: 2 jobs per combination on 2 cores, 3 on 8
    const alloc4k = (jobs: typeof two) =>
      jobs.filter((j) => j.path === 'shmem' && j.op === 'alloc' && j.granule === 4096);
    expect(alloc4k(two)).toHaveLength(2);
    expect(alloc4k(eight)).toHaveLength(3);
  });

  it('smoke and nightly name every workload', async () => {
    for (const file of ['smoke', 'nightly']) {
      const s = await loadSuite(resolve(__dirname, `../suites/${file}.yaml`));
      const ops = new Set(expandJobs(s, { cpu: { model: 'x', microcode: null, cores: 2 } }).map((j) => j.op));
      expect([...ops].sort(), file).toEqual(Object.keys(WORKLOADS).sort());
    }
  });

  it('names file, line, column and field for an unknown op', async () => {
    const err = await configError(loadSuite(fixture('bad-op.yaml')));
    expect(err.message).toContain('bad-op.yaml:4:');
    expect(err.problems[0].field).toBe('workloads[0].ops[1]');
    expect(err.message).toMatch(/alloc/); // lists the valid choices
  });

  it('names the field of a bad size', async () => {
    const err = await configError(loadSuite(fixture('bad-size.yaml')));
    expect(err.problems[0]).toMatchObject({ line: 7, field: 'workloads[0].granules[1]' });
    expect(err.message).toContain('not a size: "2 lightyears"');
  });

  it("checks an op's params, naming the field and the op", async () => {
    const err = await configError(loadSuite(fixture('bad-param.yaml')));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ line: 8, field: 'workloads[0].params.pressure' });
    expect(err.message).toMatch(/stress: .*0\.8/);
  });

  it('reports YAML syntax errors with a position', async () => {
    const err = await configError(loadSuite(fixture('bad-syntax.yaml')));
    expect(err.message).toMatch(/bad-syntax\.yaml:\d+:\d+: YAML syntax/);
  });

  it('refuses unknown (misspelt) fields', async () => {
    const err = await configError(loadSuite(fixture('unknown-field.yaml')));
    expect(err.message).toContain('unknown-field.yaml:6:');
    expect(err.problems[0].field).toBe('workloads[0].repetitons');
    expect(err.message).toContain('repetitons');
  });

  it('a missing file is a ConfigError naming it', async () => {
    const err = await configError(loadSuite(fixture('nope.yaml')));
    expect(err.message).toContain('nope.yaml');
  });

  it('loads the default inventory', async () => {
    const inv = await loadInventory(resolve(__dirname, '../hosts/local.yaml'));
    expect(inv.hosts[0]).toMatchObject({ name: 'local', transport: 'local' });
  });
});

describe('units and job shapes', () => {
  it('parses and formats sizes', () => {
    expect(parseSize('4K')).toBe(4096);
    expect(parseSize('2MiB')).toBe(2 << 20);
    expect(parseSize(8192)).toBe(8192);
    expect(() => parseSize('4X')).toThrow(/not a size/);
    expect(formatSize(2 << 20)).toBe('2M');
    expect(formatNs(812)).toBe('812ns');
    expect(formatNs(40211)).toBe('40.2us');
  });

  it('fits a region to whole granules per thread', () => {
    expect(fitRegion(8 << 20, 2 << 20, 3)).toBe(6 << 20);
    expect(fitRegion(1 << 20, 2 << 20, 2)).toBe(4 << 20);
  });
});

describe('mistakes refused at load, with file:line:col', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-suite-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const suiteFile = async (name: string, text: string) => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };
  const WL = '  - {paths: [shmem], ops: [alloc], granules: [4K]}\n';

  it('control characters in a suite or workload name', async () => {
    const a = await configError(loadSuite(await suiteFile('nl.yaml', `name: "smoke\\nbad,x=1 2"\nworkloads:\n${WL}`)));
    expect(a.problems).toEqual([expect.objectContaining({ line: 1, col: 7, field: 'name' })]);
    expect(a.message).toMatch(/nl\.yaml:1:7: name: .*control character \(U\+000A\)/);
    const b = await configError(
      loadSuite(
        await suiteFile(
          'wl.yaml',
          `workloads:\n  - name: "tab\\there"\n    paths: [shmem]\n    ops: [alloc]\n    granules: [4K]\n`,
        ),
      ),
    );
    expect(b.problems).toEqual([expect.objectContaining({ line: 2, col: 11, field: 'workloads[0].name' })]);
    expect(b.message).toMatch(/U\+0009/);
  });

  it('a name InfluxDB cannot store (a trailing backslash) and one too long for a file name', async () => {
    const bs = await configError(loadSuite(await suiteFile('bs.yaml', `name: 'ends\\'\nworkloads:\n${WL}`)));
    expect(bs.problems[0]).toMatchObject({ line: 1, col: 7, field: 'name' });
    expect(bs.message).toMatch(/ends with a backslash/);
    const long = await configError(
      loadSuite(await suiteFile('long.yaml', `name: ${'x'.repeat(300)}\nworkloads:\n${WL}`)),
    );
    expect(long.problems[0]).toMatchObject({ line: 1, col: 7, field: 'name' });
    expect(long.message).toMatch(/300 bytes long; at most 100/);
    // no name: the file's own name must fit too
    const unnamed = await configError(loadSuite(await suiteFile(`${'y'.repeat(150)}.yaml`, `workloads:\n${WL}`)));
    expect(unnamed.problems[0]).toMatchObject({ line: 1, col: 1, field: 'name' });
    expect(unnamed.message).toMatch(/give the suite a name/);
  });

  it('accepts spaces, commas, equals signs, quotes and inner backslashes', async () => {
    const s = await loadSuite(await suiteFile('ok.yaml', `name: 'my suite, "v=2" a\\b ''q'''\nworkloads:\n${WL}`));
    expect(s.name).toBe(`my suite, "v=2" a\\b 'q'`);
  });

  it('a granule that is not a page multiple, larger than the region, or threads x granule beyond it', async () => {
    const f = await suiteFile(
      'geo.yaml',
      [
        'workloads:',
        '  - paths: [shmem]',
        '    ops: [alloc]',
        '    granules: [4K, 5000, 64M]',
        '    region: 16M',
        '  - paths: [shmem]',
        '    ops: [alloc]',
        '    granules: 4M',
        '    threads: [1, 8]',
        '    region: 16M',
        '',
      ].join('\n'),
    );
    const err = await configError(loadSuite(f));
    expect(err.problems.map((p) => [p.line, p.col, p.field])).toEqual([
      [4, 20, 'workloads[0].granules[1]'],
      [4, 26, 'workloads[0].granules[2]'],
      [9, 18, 'workloads[1].threads[1]'],
    ]);
    expect(err.message).toContain(
      'geo.yaml:4:20: workloads[0].granules[1]: granule 5000 bytes is not a multiple of the page size (4096 bytes)',
    );
    expect(err.message).toContain('granule 64M is larger than the region 16M (a region is never enlarged');
    expect(err.message).toContain('8 threads x granule 4M do not fit in the region 16M');
  });

  it('the default region counts too, and a region must be a page multiple', async () => {
    const big = await configError(
      loadSuite(await suiteFile('big.yaml', 'workloads:\n  - {paths: [shmem], ops: [alloc], granules: [32M]}\n')),
    );
    expect(big.problems[0]).toMatchObject({ line: 2, col: 47, field: 'workloads[0].granules[0]' });
    expect(big.message).toContain('larger than the region 16M');
    const odd = await configError(
      loadSuite(await suiteFile('odd.yaml', 'defaults: {region: 10000}\nworkloads:\n' + WL)),
    );
    expect(odd.problems[0]).toMatchObject({ line: 1, col: 20, field: 'defaults.region' });
  });

  it('a YAML alias bomb stops at once, with a position', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const [p, n] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(', ')}]`);
    }
    const f = await suiteFile('bomb.yaml', `${levels.join('\n')}\nworkloads: [*i]\n`);
    const t0 = Date.now();
    const err = await configError(loadSuite(f));
    expect(Date.now() - t0).toBeLessThan(10_000); // 9^9 nodes if expanded: it is not
    expect(err.problems[0]).toMatchObject({ line: 2, col: 8 });
    expect(err.message).toMatch(/bomb\.yaml:2:8: YAML aliases expand too much/);
  });

  it('inventory: control characters in labels, and a jump port out of range named', async () => {
    const f = await suiteFile(
      'inv.yaml',
      [
        'hosts:',
        '  - {name: a, transport: ssh, address: 127.0.0.1, user: root, jump: "root@127.0.0.1:99999"}',
        '  - {name: b, transport: local, labels: {platform: "tdx\\r"}}',
        '',
      ].join('\n'),
    );
    const err = await configError(loadInventory(f));
    expect(err.problems.map((p) => [p.line, p.col, p.field])).toEqual(
      expect.arrayContaining([
        [3, 52, 'hosts[1].labels.platform'],
        [2, 69, 'hosts[0].jump'],
      ]),
    );
    expect(err.message).toContain('port 99999 of "root@127.0.0.1:99999" is out of range (1-65535)');
    expect(err.message).toMatch(/labels\.platform: .*control character/);
  });

  it('the CLI exits 2 with the position', async () => {
    const f = await suiteFile('cli.yaml', `name: "a\\u0007b"\nworkloads:\n${WL}`);
    const r = await cli(['run', f, '--results', join(dir, 'never'), '--progress', 'silent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:1:7: name:`);
  }, 60_000);
});

describe('what depends on the host is refused before it measures anything', () => {
  const fp = (o: { pageSize?: number; totalBytes?: number; cores?: number } = {}) => ({
    cpu: { model: 'x', microcode: null, cores: o.cores ?? 2 },
    memory: { totalBytes: o.totalBytes ?? 8 * 2 ** 30, availableBytes: 4 * 2 ** 30, pageSize: o.pageSize ?? 4096 },
  });
  const suite = (w: object[]): Suite => ({ name: 't', file: 't.yaml', workloads: w as Suite['workloads'] });

  it('page size, memory and "threads: all" per host, naming the jobs', () => {
    const s = suite([
      { paths: ['shmem'], ops: ['alloc'], granules: [4096, 65536], region: 16 << 20 },
      { paths: ['gmem'], ops: ['fault'], granules: [2 << 20], region: 8 << 20, threads: ['all'] },
    ]);
    expect(precheckProblems(s, fp())).toEqual([]);
    expect(precheckProblems(s, fp({ pageSize: 65536 }))).toEqual([
      "shmem alloc 4K x1: granule 4K is not a multiple of the host's page size 64K",
    ]);
    expect(precheckProblems(s, fp({ cores: 8 }))).toEqual([
      'gmem fault 2M x8: 8 threads x granule 2M do not fit in the region 8M (the region is never enlarged)',
    ]);
    const big = suite([{ paths: ['shmem', 'gmem'], ops: ['alloc'], granules: [4096], region: 2 ** 40 }]);
    expect(precheckProblems(big, fp())).toEqual([
      "shmem alloc 4K x1: region 1T is larger than the host's memory (8.0 GiB)",
      "gmem alloc 4K x1: region 1T is larger than the host's memory (8.0 GiB)",
    ]);
    expect(() => precheckHost('lab-1', big, fp())).toThrow(
      /^lab-1 cannot run 2 job\(s\) of suite t, nothing was measured: shmem alloc 4K x1: region 1T/,
    );
  });

  it('a run whose every row of a host failed is a failed host', () => {
    const row = (host: string, status: 'ok' | 'failed' | 'unsupported') =>
      ({ host, status }) as RunSummary['results'][number];
    const host = (name: string, status: 'ok' | 'failed' = 'ok') => ({ name, status }) as RunSummary['hosts'][number];
    expect(
      failedHosts({
        hosts: [host('a'), host('b'), host('c', 'failed'), host('d')],
        results: [row('a', 'failed'), row('a', 'failed'), row('b', 'failed'), row('b', 'ok'), row('d', 'unsupported')],
      }),
    ).toEqual(['a', 'c']);
  });

  /** `run` of a suite on this machine, under a lock of its own (other runs on this machine hold the default one) */
  async function runLocal(
    suiteYaml: string,
    args: string[] = [],
  ): Promise<{ code: number; stderr: string; summary: RunSummary }> {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-precheck-'));
    try {
      const [f, inv] = [join(dir, 'suite.yaml'), join(dir, 'hosts.yaml')];
      await writeFile(f, suiteYaml);
      await writeFile(inv, `hosts:\n  - {name: local, transport: local, lockPath: ${join(dir, 'host.lock')}}\n`);
      const r = await cli([
        'run',
        f,
        '--hosts',
        inv,
        '--results',
        join(dir, 'results'),
        '--json',
        '--progress',
        'silent',
        ...args,
      ]);
      return { code: r.code, stderr: r.stderr, summary: JSON.parse(r.stdout) as RunSummary };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.skipIf(!hasCc)(
    'run: every row of the host failed (the memory guard refused each job): exit 3, not 0',
    async () => {
      const r = await runLocal(
        'name: guarded\ndefaults: {repetitions: 1, warmup: 0}\nworkloads:\n  - {paths: [shmem], ops: [alloc, punch], granules: [4K], region: 1G}\n',
        ['--max-mem-share', '0.001'],
      );
      expect(r.summary.hosts[0].status).toBe('ok');
      expect(r.summary.results.map((x) => x.status)).toEqual(['failed', 'failed']);
      expect(r.code, r.stderr).toBe(3);
    },
    120_000,
  );

  it.skipIf(!hasCc)(
    'run: a region larger than the host (1T) fails the host before any job, exit 3',
    async () => {
      const r = await runLocal(
        'name: big\nworkloads:\n  - {paths: [shmem], ops: [alloc], granules: [4K], region: 1T}\n',
      );
      expect(r.code, r.stderr).toBe(3);
      expect(r.summary.results).toEqual([]);
      expect(r.summary.hosts[0]).toMatchObject({ name: 'local', status: 'failed', subStatus: 'unsuitable' });
      expect(r.summary.hosts[0].error).toContain(
        "local cannot run 1 job(s) of suite big, nothing was measured: shmem alloc 4K x1: region 1T is larger than the host's memory",
      );
    },
    120_000,
  );
});
