/** gmembench compare as a user runs it, on real runs of a real probe: tables, formats, plots, errors. */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSummary, writeSummary } from '../src/results/store.js';
import { listRuns } from '../src/results/store.js';
import type { Comparison } from '../src/analysis/compare.js';
import type { RunSummary } from '../src/results/schema.js';
import { cli } from './helpers/cli.js';
import { hasCc, hasGuestMemfd, hasKvm, skipReason } from './helpers/host.js';

if (!hasCc) skipReason('compare on real runs', 'no C compiler (cc) to build the probe');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gmembench-compare-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function expectWidth(text: string) {
  for (const line of text.split('\n')) expect(line.length, `too wide: "${line}"`).toBeLessThanOrEqual(80);
}

/** A copy of a run with one row's figures (and repetitions) multiplied: a known slow-down. */
function slowDown(run: RunSummary, path: string, op: string, factor: number): RunSummary {
  const results = run.results.map((r) => {
    if (r.path !== path || r.op !== op) return r;
    const k = (v: number | null) => (v === null ? null : Math.round(v * factor));
    return {
      ...r,
      p50: k(r.p50),
      p90: k(r.p90),
      p99: k(r.p99),
      p999: k(r.p999),
      max: k(r.max),
      mean: k(r.mean),
      repetitions: r.repetitions.map((x) => ({
        ...x,
        p50: Math.round(x.p50 * factor),
        p99: Math.round(x.p99 * factor),
        mean: x.mean * factor,
      })),
    };
  });
  return { ...run, runId: `${run.runId}-slow`, results };
}

/** text with its wrapped continuation lines (indented 4) joined to the line they continue */
const unwrapped = (text: string) => text.replace(/\n {4}/g, ' ');

describe.skipIf(!hasCc)('compare real runs', () => {
  let run: string;
  let slow: string;
  beforeAll(async () => {
    const suite = join(tmp, 'cmp.yaml');
    await writeFile(
      suite,
      [
        'name: cmp',
        'defaults: {repetitions: 6, warmup: 1}',
        'workloads:',
        '  - {paths: [shmem, gmem, hugetlb], ops: [alloc, punch], granules: [4K], region: 1M}',
      ].join('\n'),
    );
    const r = await cli(['run', suite, '--results', join(tmp, 'results'), '--progress', 'silent']);
    expect(r.code, r.stderr).toBe(0);
    [run] = await listRuns(join(tmp, 'results'));
    slow = join(tmp, 'slow');
    await mkdir(slow);
    await writeSummary(slow, slowDown(await readSummary(run), 'shmem', 'alloc', 1.3));
  });

  it('a run against itself: every ok row compared, no change, no mark; unsupported rows listed with their reason', async () => {
    const r = await cli(['compare', run, join(run, 'summary.json')]);
    expect(r.code, r.stderr).toBe(0);
    expectWidth(r.stdout);
    expect(r.stdout).toMatch(/^shmem\s+alloc\s+4K\s+1\s+\S+\s+\S+\s+\+0\.0%(\s+~)?\s+\S+\s+\S+$/m);
    // no change is ever starred; a row may carry the noise mark only when its CV is above --noise
    // (5%): read from the JSON, since the table rounds a CV of 5.04% to 5.0%
    expect(r.stdout).not.toMatch(/%\s+\*/);
    const j = JSON.parse((await cli(['compare', run, run, '--format', 'json'])).stdout) as Comparison;
    for (const row of j.rows)
      for (const m of row.metrics) {
        expect(m.mark, `${row.path} ${row.op}`).not.toBe('significant');
        if (m.mark === 'noisy') expect(Math.max(m.cvBaseline ?? 0, m.cvCandidate ?? 0)).toBeGreaterThan(0.05);
      }
    const quiet = await cli(['compare', run, run, '--noise', '100']);
    expect(quiet.stdout).not.toMatch(/%\s+[*~]/);
    expect(r.stdout).toMatch(/geomean p50: candidate\/baseline 1\.000 \(\+0\.0%\)/);
    // the not-compared list, its wrapped lines joined: the rows of one reason on one line
    const listed = unwrapped(r.stdout.slice(r.stdout.indexOf('not compared (')));
    expect(listed).toMatch(
      /^not compared \(\d+\):\n(?: {2}.*\n)*? {2}hugetlb alloc, punch 4K x1 \(2 rows\): both unsupported: hugetlb granule must be a multiple/,
    );
    if (!hasGuestMemfd)
      expect(listed).toMatch(
        hasKvm
          ? /^ {2}gmem alloc, punch 4K x1 \(2 rows\): both unsupported: KVM_CAP_GUEST_MEMFD is 0/m
          : /^ {2}gmem alloc, punch 4K x1 \(2 rows\): both unsupported/m,
      );
  });

  it('a candidate 30% slower on one series: a positive change (+ = slower), marked (never silently unchanged)', async () => {
    const r = await cli(['compare', run, slow, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as Comparison;
    const row = c.rows.find((x) => x.path === 'shmem' && x.op === 'alloc')!;
    expect(row.metrics[0].changePct).toBeCloseTo(30, 0);
    // marked either way: significant, or noisy when this machine's repetitions overlap that much
    expect(row.metrics[0].mark).not.toBe('none');
    if (row.metrics[0].mark === 'significant') expect(row.metrics[0].pValue).toBeLessThan(0.05);
    for (const x of c.rows.filter((y) => y !== row)) expect(x.metrics[0].changePct).toBe(0);
    const t = await cli(['compare', run, slow, '--p99']);
    expectWidth(t.stdout);
    expect(t.stdout).toMatch(/^shmem\s+alloc\s+4K\s+1\s+p50\s+\S+\s+\S+\s+\+(29\.9|30\.0|30\.1)% [*~]/m);
    expect(t.stdout).toMatch(/^\s+p99\s+\S+\s+\S+\s+\+(29\.9|30\.0|30\.1)% [*~]/m);
  });

  it('one run a side, no history: the line above the table says why nothing is marked slower or faster', async () => {
    const r = await cli(['compare', '--baseline', run, '--candidate', slow]);
    expect(r.code, r.stderr).toBe(0);
    expectWidth(r.stdout);
    const banner = r.stdout.indexOf('one run per side and no history');
    expect(banner).toBeGreaterThan(0);
    expect(banner).toBeLessThan(r.stdout.indexOf('host local'));
    expect(r.stdout).not.toMatch(/%\s+\*/);
    expect(r.stdout).toContain('0 faster *, 0 slower *');
    expect(r.stdout).toMatch(/^shmem\s+alloc\s+4K\s+1\s+\S+\s+\S+\s+\+(29\.9|30\.0|30\.1)% ~/m);
    expect(r.stdout).toContain('change = (candidate - baseline) / baseline of the latency: + = slower');
  });

  it('--paths shmem,gmem compares two paths of one run', async () => {
    const r = await cli(['compare', '--paths', 'shmem,gmem', run]);
    expect(r.code, r.stderr).toBe(0);
    expectWidth(r.stdout);
    expect(r.stdout).toMatch(/^baseline\s+path shmem \(run /m);
    if (hasGuestMemfd) expect(r.stdout).toMatch(/^op\s+granule\s+thr\s+shmem\s+gmem\s+change/m);
    else expect(unwrapped(r.stdout)).toMatch(/^ {2}alloc, punch 4K x1 \(2 rows\): gmem unsupported/m);
  });

  it('markdown and csv', async () => {
    const md = await cli(['compare', run, slow, '--format', 'markdown']);
    expect(md.stdout).toMatch(/^\| path \| op \| granule/m);
    const csv = await cli(['compare', run, slow, '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toMatch(
      /^host,baseline_path,candidate_path,op,granule,threads,metric,baseline_ns/,
    );
  });

  it('--plot draws SVG and PNG', async () => {
    const svgFile = join(tmp, 'cmp.svg');
    const pngFile = join(tmp, 'cmp.png');
    const a = await cli(['compare', run, slow, '--plot', svgFile]);
    expect(a.code, a.stderr).toBe(0);
    // one file per figure: FILE-p50.svg (bars), FILE-percentiles.svg (curves), -1, -2 ... when split
    const svgOf = (name: string) =>
      readFile(svgFile.replace(/\.svg$/, `-${name}.svg`), 'utf8').catch(() =>
        readFile(svgFile.replace(/\.svg$/, `-${name}-1.svg`), 'utf8'),
      );
    const bars = await svgOf('p50');
    const curves = await svgOf('percentiles');
    expect(bars).toMatch(/^<svg /);
    expect(bars).toContain('class="mark-rect role-mark');
    expect(curves).toContain('class="mark-line role-mark');
    expect(bars).toMatch(/[\d.]+ (µs|ns)</);
    expect(curves).toContain('percentile');
    // two paths of one run where this machine has guest_memfd, else the two runs
    const b = await cli([
      'compare',
      ...(hasGuestMemfd ? ['--paths', 'shmem,gmem', run] : [run, slow]),
      '--plot',
      pngFile,
    ]);
    expect(b.code, b.stderr).toBe(0);
    const png = await readFile(pngFile.replace(/\.png$/, '-p50.png')).catch(() =>
      readFile(pngFile.replace(/\.png$/, '-p50-1.png')),
    );
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(800); // IHDR width
  });
});

describe('compare: bad input', () => {
  it('a missing run exits 2 naming the path', async () => {
    const r = await cli(['compare', join(tmp, 'nope'), join(tmp, 'nope2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(tmp, 'nope')}: no such run`);
  });

  it('a directory that is not a run, or a file that is not a summary, exits 2 naming it', async () => {
    const d = join(tmp, 'empty');
    await mkdir(d, { recursive: true });
    const r = await cli(['compare', d, d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${d}: not a run directory (no summary.json in it)`);
    const f = join(tmp, 'junk.json');
    await writeFile(f, '{"hello": 1}');
    const s = await cli(['compare', f, f]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`${f}: not a gmembench run summary`);
  });

  it('wrong argument counts, formats and paths exit 2', async () => {
    const one = join(tmp, 'one');
    await mkdir(one, { recursive: true });
    const { runOf } = await import('./helpers/compare-fixtures.js');
    await writeSummary(one, runOf(1));
    const cases: [string[], RegExp][] = [
      [['compare', one], /give a baseline and a candidate run \(got 1\)/],
      [['compare', one, one, '--format', 'html'], /--format: unknown format "html"/],
      [['compare', '--paths', 'shmem', one], /--paths: give two different paths/],
      [['compare', '--paths', 'shmem,gmem', one, one], /--paths compares two paths of ONE run; got 2/],
      [['compare', '--paths', 'shmem,hugetlb', one], /--paths: run .* has no rows for path "hugetlb"/],
      [['compare', one, one, '--plot', join(tmp, 'x.pdf')], /--plot: ".*x\.pdf" must end in \.svg or \.png/],
      [['compare', one, one, '--noise', 'lots'], /not a fraction or percentage: "lots"/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
