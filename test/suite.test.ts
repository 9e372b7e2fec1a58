import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadSuite } from '../src/config/suite.js';
import { ConfigError } from '../src/config/load.js';
import { WORKLOADS } from '../src/workloads/index.js';
import { expandJobs, fitRegion } from '../src/benchmark/jobs.js';
import { loadInventory } from '../src/config/hosts.js';
import { parseSize, formatSize, formatNs } from '../src/util/units.js';

const fixture = (n: string) => resolve(__dirname, 'fixtures/suites', n);

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(() => null, (e) => e);
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
          expect(jobs.some((j) => j.path === path && j.op === op && j.granule === granule), `${path} ${op} ${granule}`).toBe(true);
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
    const alloc4k = (jobs: typeof two) => jobs.filter((j) => j.path === 'shmem' && j.op === 'alloc' && j.granule === 4096);
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

  it('checks an op\'s params, naming the field and the op', async () => {
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
