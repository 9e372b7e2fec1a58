/** Bad option values, through the real CLI: every command stops before doing anything, exits 2 (bisect-check 128) and names the option. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import {
  cpuList,
  count,
  fraction,
  hostList,
  integer,
  listOf,
  MAX_SECONDS,
  pair,
  percentage,
  positiveInteger,
  pValue,
  runId,
  seconds,
  size,
} from '../src/cli/options.js';

describe('one parser per kind of value', () => {
  it('whole numbers', () => {
    expect(positiveInteger('8')).toBe(8);
    expect(count('0')).toBe(0);
    expect(integer(1, 100)('100')).toBe(100);
    for (const bad of ['x', '', ' ', '1.5', '0', '-1', '0x10', '1e400', 'Infinity'])
      expect(() => positiveInteger(bad), bad).toThrow(/whole number/);
    expect(() => integer(1, 100)('101')).toThrow(/from 1 to 100/);
  });

  it('durations in seconds, with or without a unit, within the timer range', () => {
    expect(seconds('90')).toBe(90);
    expect(seconds('1.5')).toBe(1.5);
    expect(seconds('90s')).toBe(90);
    expect(seconds('30m')).toBe(1800);
    expect(seconds('2h')).toBe(7200);
    expect(seconds('500ms')).toBe(0.5);
    for (const bad of ['abc', '', '0', '-5', '5d', String(MAX_SECONDS + 1), 'NaN'])
      expect(() => seconds(bad), bad).toThrow(/duration/);
  });

  it('fractions 0 < x <= 1, percentages >= 0, p-values 0 < p < 1, sizes', () => {
    expect(fraction()('0.5')).toBe(0.5);
    expect(fraction()('50%')).toBe(0.5);
    expect(fraction()('1')).toBe(1);
    expect(fraction(0.95)('0.95')).toBe(0.95);
    for (const bad of ['0', '5', '-0.1', 'x', '', '200%']) expect(() => fraction()(bad), bad).toThrow(/fraction/);
    expect(() => fraction(0.95)('0.96')).toThrow(/0\.95/);
    expect(percentage('5%')).toBeCloseTo(0.05);
    expect(percentage('0')).toBe(0);
    expect(percentage('1.5')).toBe(1.5);
    for (const bad of ['-1', 'x', '%']) expect(() => percentage(bad), bad).toThrow(/percentage/);
    expect(pValue('0.05')).toBe(0.05);
    for (const bad of ['0', '1', '5', '-0.1', 'x', '']) expect(() => pValue(bad), bad).toThrow(/0 < p < 1/);
    expect(size('2M')).toBe(2 << 20);
    expect(() => size('0')).toThrow(/size > 0/);
    expect(() => size('2 lightyears')).toThrow(/not a size/);
  });

  it('run ids cannot leave --results; host lists, word lists, pairs and CPU lists', () => {
    expect(runId('2026-11-24T23-50-12Z-smoke-3fa1')).toBe('2026-11-24T23-50-12Z-smoke-3fa1');
    for (const bad of ['../../x', '..', '.', '.hidden', 'a/b', '/abs', 'a b', '', 'x'.repeat(201), 'a\nb'])
      expect(() => runId(bad), JSON.stringify(bad)).toThrow(/run directory name/);
    expect(hostList('lab-1,lab-2')).toEqual(['lab-1', 'lab-2']);
    for (const bad of ['', 'a,,b', 'a b', 'a;b']) expect(() => hostList(bad), bad).toThrow(/host names/);
    expect(listOf(['p50', 'p99'] as const)('p99,p50')).toEqual(['p99', 'p50']);
    expect(() => listOf(['p50', 'p99'] as const)('p42')).toThrow(/p50, p99/);
    expect(pair('shmem,gmem')).toEqual(['shmem', 'gmem']);
    expect(() => pair('shmem')).toThrow(/two different/);
    expect(() => pair('gmem,gmem')).toThrow(/two different/);
    expect(cpuList('0-3,5')).toBe('0-3,5');
    expect(() => cpuList('fast')).toThrow(/CPU list/);
  });
});

describe('every command refuses a bad value before it runs: exit 2 naming the option', () => {
  let tmp: string;
  let suite: string;
  let results: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-options-'));
    suite = join(tmp, 'tiny.yaml');
    results = join(tmp, 'results');
    await writeFile(suite, 'name: tiny\nworkloads:\n  - {paths: [shmem], ops: [alloc], granules: [4K], region: 1M}\n');
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const run = () => ['run', suite, '--results', results, '--progress', 'silent'];
  /** [args, the option the message must name, the exit code] */
  const cases = (): [string[], string, number][] => [
    [[...run(), '--job-timeout', 'abc'], '--job-timeout', 2],
    [[...run(), '--concurrency', 'x'], '--concurrency', 2],
    [[...run(), '--max-mem-share', '5'], '--max-mem-share', 2],
    [[...run(), '--run-id', '../../x'], '--run-id', 2],
    [[...run(), '--processes', '0'], '--processes', 2],
    [[...run(), '--pin', 'fast'], '--pin', 2],
    [[...run(), '--progress', 'loud'], '--progress', 2],
    [[...run(), '--only', 'colour=red'], '--only', 2],
    [[...run(), '--influx', 'ftp://host'], '--influx', 2],
    [['hosts', '--concurrency', '0'], '--concurrency', 2],
    [['hosts', '--progress', 'x'], '--progress', 2],
    [['nightly', '--suite', suite, '--results', results, '--job-timeout', 'abc'], '--job-timeout', 2],
    [['nightly', '--suite', suite, '--results', results, '--fdr', '2'], '--fdr', 2],
    [['regress', '--history', results, '--max-pvalue', '5'], '--max-pvalue', 2],
    [['regress', '--history', results, '--min-segment', '1'], '--min-segment', 2],
    [['regress', '--history', results, '--metrics', 'p42'], '--metrics', 2],
    [['regress', '--history', results, '--noise-factor', '-1'], '--noise-factor', 2],
    [['regress', '--history', results, '--min-magnitude', 'big'], '--min-magnitude', 2],
    [['regress', '--history', results, '--common-mode', '2'], '--common-mode', 2],
    [['regress', '--history', results, '--test', 'magic'], '--test', 2],
    [['regress', '--history', results, '--annotate-influx'], '--annotate-influx', 2],
    [['push', tmp, '--influx', 'http://127.0.0.1:9', '--retries', 'many'], '--retries', 2],
    [['push', tmp, '--influx', 'http://127.0.0.1:9', '--timeout', '0'], '--timeout', 2],
    [['push', tmp, '--influx', 'not a url'], '--influx', 2],
    [['compare', tmp, tmp, '--alpha', '5'], '--alpha', 2],
    [['compare', tmp, tmp, '--noise', 'x'], '--noise', 2],
    [['report', tmp, '--html', join(tmp, 'r.html'), '--paths', 'shmem'], '--paths', 2],
    [['report', tmp], '--html', 2],
    [['dashboards', '--out'], '--out', 2],
    [['workloads', '--bogus'], '--bogus', 2],
    [['system', 'show', '--bogus'], '--bogus', 2],
    [['fingerprint', '--bogus'], '--bogus', 2],
    // git bisect run reads 1..127 as "bad": bad arguments abort the bisection instead
    [
      ['bisect-check', '--series', 'local/shmem/alloc/4K/1', '--baseline', tmp, '--fresh', tmp, '--max-pvalue', '5'],
      '--max-pvalue',
      128,
    ],
    [
      ['bisect-check', '--series', 'local/shmem/alloc/4K/1', '--baseline', tmp, '--fresh', tmp, '--metric', 'p42'],
      '--metric',
      128,
    ],
    [
      ['bisect-check', '--series', 'local/shmem/alloc/4K/1', '--baseline', tmp, '--fresh', tmp, '--threshold', 'x'],
      '--threshold',
      128,
    ],
  ];

  it('for each command and kind of value', async () => {
    const all = cases();
    // a few at a time: each is a node process
    const outcomes: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < all.length; i += 4)
      outcomes.push(...(await Promise.all(all.slice(i, i + 4).map(([args]) => cli(args)))));
    all.forEach(([args, option, code], i) => {
      const r = outcomes[i];
      const label = args.join(' ');
      expect(r.code, `${label}\n${r.stderr}`).toBe(code);
      expect(r.stderr, label).toContain(option);
    });
    // nothing ran: no run directory, and --run-id ../../x wrote nothing outside --results
    await expect(readdir(results)).rejects.toThrow();
    await expect(readdir(join(tmp, '..', '..', 'x'))).rejects.toThrow();
  }, 600_000);

  it('the message says what is expected, and usage errors found by an action name their command', async () => {
    const r = await cli([...run(), '--job-timeout', 'abc']);
    expect(r.stderr).toContain("option '--job-timeout <s>' argument 'abc' is invalid. expected a duration > 0");
    const p = await cli(['push', join(tmp, 'no-such-run'), '--influx', 'http://127.0.0.1:9']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain(
      `gmembench push: no such run directory or results folder: ${join(tmp, 'no-such-run')} (nothing was pushed)`,
    );
    const g = await cli(['regress', '--history', results, '--grafana-url', 'http://127.0.0.1:9'], {
      env: { GRAFANA_TOKEN: '' },
    });
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('gmembench regress: --grafana-url needs --grafana-token');
  }, 120_000);
});
