/** compare across runs: verdicts against the run-to-run noise, on run summaries with a known between-run noise. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, type Comparison, type MetricComparison } from '../src/analysis/compare.js';
import { compareSides, comparePathsAcross } from '../src/analysis/compare-runs.js';
import { groupNoise, historyNoise, historyPermutationTest, moderatedNoise } from '../src/analysis/run-noise.js';
import { historyRunFromSummary } from '../src/analysis/series.js';
import { SIGN_LEGEND } from '../src/analysis/change.js';
import { compareFormat } from '../src/export/compare-format.js';
import { TEXT_WIDTH } from '../src/export/compare-text.js';
import { writeSummary } from '../src/results/store.js';
import type { RunSummary } from '../src/results/schema.js';
import { BASE_SERIES, noisyRuns } from './helpers/compare-fixtures.js';
import { describeReference, summariesPerSyscall } from '../src/analysis/reference.js';
import { decode, percentiles } from '../src/analysis/histogram.js';
import { gaussian, rng } from './helpers/synthetic.js';
import { cli } from './helpers/cli.js';

/** BASE_SERIES indexes: 0 shmem alloc 4K, 1 gmem alloc 4K, 2 shmem punch 2M, 3 gmem punch 2M, 4 shmem fault 4K, 5 gmem fault 4K */
function metric(c: Comparison, path: string, op: string): MetricComparison {
  const r = c.rows.find((x) => x.path === path && x.op === op);
  if (!r) throw new Error(`no row ${path} ${op}`);
  return r.metrics[0];
}

function marked(c: Comparison): MetricComparison[] {
  return c.rows.flatMap((r) => r.metrics).filter((m) => m.mark === 'significant');
}

function expectWidth(text: string) {
  for (const line of text.split('\n')) expect(line.length, `line too wide: "${line}"`).toBeLessThanOrEqual(TEXT_WIDTH);
}

/** A host fingerprint with what the header must state. */
function withHost(runs: RunSummary[], cmdline: string): RunSummary[] {
  return runs.map((r) => ({
    ...r,
    harness: { ...r.harness, probeSha256: 'abcdef0123456789'.repeat(4) },
    hosts: r.hosts.map((h) => ({
      ...h,
      fingerprint: {
        kernel: { release: '6.18.0', version: '#1', cmdline, machine: 'x86_64' },
        cpu: { model: 'Test CPU @ 2GHz', microcode: '0x1', cores: 2 },
      } as never,
    })),
  }));
}

describe('the run-to-run noise', () => {
  it('from groups of runs: the robust CV around each group median, close to the true noise', () => {
    const r = rng(5);
    const g = (shift: number) => Array.from({ length: 60 }, () => 1000 * shift * Math.exp(0.05 * gaussian(r)));
    const n = groupNoise([g(1), g(1.3)])!;
    expect(n).toBeGreaterThan(0.04);
    expect(n).toBeLessThan(0.06); // the step between the groups is not noise
    expect(groupNoise([[1000], [1100]])).toBeNull();
    expect(
      groupNoise([
        [1000, 1010],
        [1100, 1090],
      ]),
    ).toBeNull(); // 4 runs: too few
  });

  it('from a history: per series, around its segments, the candidate runs left out', () => {
    const runs = noisyRuns(0, 30, { noise: 0.04 }).map(historyRunFromSummary);
    const h = historyNoise(runs, ['p50']);
    expect(h.size).toBe(6);
    for (const v of h.values()) {
      expect(v.runs).toBe(30);
      expect(v.noise).toBeGreaterThan(0.02); // a robust CV over 30 runs: about +-20% of the true 4%
      expect(v.noise).toBeLessThan(0.075);
      expect(v.deviations).toHaveLength(30);
    }
    const med = [...h.values()].map((v) => v.noise).sort((a, b) => a - b)[3];
    expect(med).toBeGreaterThan(0.03);
    expect(med).toBeLessThan(0.055);
    const less = historyNoise(runs, ['p50'], new Set(runs.slice(0, 3).map((r) => r.runId)));
    expect([...less.values()][0].runs).toBe(27);
  });

  it("the permutation test against a history: the compared runs in the pool, the history's own tails", () => {
    const r = rng(9);
    const dev = Array.from({ length: 30 }, () => 0.02 * gaussian(r));
    // one run a side: significant only when the pair lies beyond (nearly) every pair of the pool
    expect(historyPermutationTest(dev, [1000], [1300], 0.01)!.p).toBeLessThan(0.01);
    expect(historyPermutationTest(dev, [1000], [1040], 0.01)!.p).toBeGreaterThan(0.01);
    // a history with one slow run in ten: a +30% run is no longer unusual enough
    const tails = dev.map((d, i) => (i % 10 === 3 ? d + Math.log(1.3) : d));
    expect(historyPermutationTest(tails, [1000], [1300], 0.01)!.p).toBeGreaterThan(0.01);
    // nor is one baseline run against three: it may be the odd fast one; three against three are
    expect(historyPermutationTest(tails, [1000], [1300, 1290, 1310], 0.01)!.p).toBeGreaterThan(0.01);
    expect(historyPermutationTest(tails, [1000, 1005, 995], [1300, 1290, 1310], 0.01)!.p).toBeLessThan(0.01);
    const quiet = historyPermutationTest(dev, [1000, 1010], [1005, 995], 0.01)!;
    expect(quiet.p).toBeGreaterThan(0.1);
  });
});

describe('two groups of 5 quiet runs', () => {
  it('mark no row (5% run-to-run noise, 0.3% within a run), over many splits', () => {
    let rows = 0;
    for (let s = 0; s < 10; s++) {
      const c = compareSides(noisyRuns(100 * s, 5, { noise: 0.05 }), noisyRuns(100 * s + 50, 5, { noise: 0.05 }));
      expect(c.model).toBe('across-runs');
      expect(c.spread).toBe('between-runs');
      expect(c.rows).toHaveLength(6);
      expect(marked(c), JSON.stringify(marked(c).map((m) => [m.changePct, m.noise]))).toEqual([]);
      for (const m of c.rows.map((r) => r.metrics[0])) {
        expect(m.runsBaseline).toBe(5);
        expect(m.runsCandidate).toBe(5);
        expect(m.noise!.source).toBe('runs');
        expect(m.noise!.used!).toBeGreaterThan(0.01);
        expect(m.noise!.used!).toBeGreaterThanOrEqual(m.noise!.withinRun!); // the within-run spread is a lower bound
        expect(m.threshold!).toBeGreaterThanOrEqual(0.03);
      }
      expect(c.banner.join(' ')).toMatch(
        /^spread: the noise column is each series' run-to-run noise .* from the 5 \+ 5 compared runs/,
      );
      rows += c.rows.length;
    }
    expect(rows).toBe(60);
  });

  it('where the within-run model, blind to the run-to-run noise, marks rows', () => {
    const b = noisyRuns(0, 5, { noise: 0.05 });
    const c = noisyRuns(50, 5, { noise: 0.05 });
    const within = b.map((x, i) => compareRuns(x, c[i])).flatMap((x) => marked(x));
    expect(within.length).toBeGreaterThan(5);
    expect(marked(compareSides(b, c))).toEqual([]);
  });
});

describe('a real step across 5 vs 5 runs', () => {
  const base = noisyRuns(0, 5, { noise: 0.02 });
  const cand = noisyRuns(50, 5, { noise: 0.02, factors: { 0: 1.15, 3: 0.85 } });
  const c = compareSides(base, cand);

  it('+15% is marked slower, -15% faster, the rest unmarked', () => {
    const slow = metric(c, 'shmem', 'alloc');
    expect(slow.changePct).toBeGreaterThan(11);
    expect(slow.changePct).toBeLessThan(19);
    expect(slow.mark).toBe('significant');
    expect(slow.pValue).toBeLessThan(0.01);
    expect(slow.ci!.lo).toBeGreaterThan(0);
    const fast = metric(c, 'gmem', 'punch');
    expect(fast.changePct).toBeLessThan(-11);
    expect(fast.mark).toBe('significant');
    expect(fast.ci!.hi).toBeLessThan(0);
    expect(marked(c)).toHaveLength(2);
    expect(c.summary[0]).toMatchObject({ count: 6, worse: 1, better: 1 });
  });

  it('the text table: 80 columns, the change with its mark, the interval and the noise, the legend', () => {
    const text = compareFormat('text').render(c);
    expectWidth(text);
    expect(text).toMatch(/^shmem\s+alloc\s+4K x1\s+\S+\s+\S+\s+\+1\d\.\d% \*\s+\+\S+\.\.\+\S+%\s+\d\.\d%$/m);
    expect(text).toMatch(/^gmem\s+punch\s+2M x1\s+\S+\s+\S+\s+-1\d\.\d% \*\s+-\S+\.\.-\S+%/m);
    expect(text).toMatch(/^baseline {3}5 runs 2026-/m);
    expect(text).toContain('99% interval');
    expect(text).toContain('* = slower (+) or faster (-)');
    expectWidth(compareFormat('text').render(compareSides(base, cand, { metrics: ['p50', 'p99'] })));
  });

  it('a p99 of rows with too few samples (their maximum) is not marked, with a note; --tail-samples 0 marks it', () => {
    // shmem alloc 4K 30% slower on every percentile, its rows holding 48 samples each
    const thin = (runs: RunSummary[]) =>
      runs.map((r) => ({
        ...r,
        results: r.results.map((x) => (x.path === 'shmem' && x.op === 'alloc' ? { ...x, samples: 48 } : x)),
      }));
    const base = thin(noisyRuns(0, 5, { noise: 0.02 }));
    const cand = thin(noisyRuns(5, 5, { noise: 0.02, factors: { 0: 1.3 } }));
    const c = compareSides(base, cand, { metrics: ['p50', 'p99'] });
    const row = c.rows.find((x) => x.path === 'shmem' && x.op === 'alloc')!;
    const [p50, p99] = row.metrics;
    expect(p50.mark).toBe('significant');
    expect(p99.changePct).toBeGreaterThan(20);
    expect(p99).toMatchObject({ mark: 'noisy', thinTail: true });
    expect(c.notes).toContain(
      '1 p99 figure(s) of rows with fewer than 1000 samples, so one of their few largest: not marked (--tail-samples)',
    );
    const all = compareSides(base, cand, { metrics: ['p50', 'p99'], tailSamples: 0 });
    expect(all.rows.find((x) => x.path === 'shmem' && x.op === 'alloc')!.metrics[1].mark).toBe('significant');
  });

  it('a step smaller than 3 x the noise is not marked, even when significant', () => {
    const noisy = compareSides(
      noisyRuns(0, 6, { noise: 0.06 }),
      noisyRuns(50, 6, { noise: 0.06, factors: { 0: 1.12 } }),
    );
    const m = metric(noisy, 'shmem', 'alloc');
    expect(m.threshold!).toBeGreaterThan(0.12);
    expect(m.mark).not.toBe('significant');
  });
});

describe('few runs: a lucky quiet series, and a table judged on the history alone', () => {
  /** runs of every series at 10% noise but series 0 (shmem alloc 4K), whose runs wobble by `quiet` */
  const mixed = (i0: number, n: number, quiet: number, step = 1): RunSummary[] => {
    const loud = noisyRuns(i0, n, { noise: 0.1 });
    const calm = noisyRuns(i0, n, { noise: quiet, factors: { 0: step } });
    return loud.map((r, i) => ({ ...r, results: r.results.map((x, k) => (k === 0 ? calm[i].results[0] : x)) }));
  };

  it('the noise of five runs a side is raised toward the host typical series where it reads lower, never lowered', () => {
    expect(moderatedNoise(0.05, 0.1)).toBeCloseTo(Math.sqrt((2 * 0.05 ** 2 + 0.1 ** 2) / 3), 12);
    expect(moderatedNoise(0.2, 0.1)).toBe(0.2);
    expect(moderatedNoise(0.05, undefined)).toBe(0.05);
    const cmp = compareSides(mixed(0, 5, 0.01), mixed(50, 5, 0.01, 1.06));
    const m = metric(cmp, 'shmem', 'alloc');
    expect(m.noise!.runsOwn!).toBeLessThan(0.02);
    // the host's other five series read about 10%: the prior pulls 1% up to about 6%
    expect(m.noise!.used!).toBeGreaterThan(0.04);
    expect(m.mark).not.toBe('significant'); // +6% is beyond 3 x 1%, not beyond 3 x the raised noise
    expect(cmp.banner.join(' ')).toMatch(/; \d+ that read quieter than their host's median series raised toward it/);
    const csv = compareFormat('csv').render(cmp).split('\r\n');
    const own = csv[0].split(',').indexOf('noise_runs_own');
    expect(Number(csv.find((l) => l.startsWith('local,shmem,shmem,alloc,4096,'))!.split(',')[own])).toBeCloseTo(
      m.noise!.runsOwn!,
      5,
    );
    // the series that read above the host's median keep their own; only those below it are raised
    const ms = cmp.rows.flatMap((r) => r.metrics);
    expect(ms.filter((x) => x.noise!.runsOwn === undefined).length).toBeGreaterThanOrEqual(3);
    for (const x of ms) if (x.noise!.runsOwn !== undefined) expect(x.noise!.used!).toBeGreaterThan(x.noise!.runsOwn);
    // a step well beyond the raised noise is still marked
    expect(metric(compareSides(mixed(0, 5, 0.01), mixed(50, 5, 0.01, 1.4)), 'shmem', 'alloc').mark).toBe('significant');
  });

  it('2 vs 2 with a history: quiet tables mark nothing; one row moving alone needs alpha / rows, rows moving together share it (Benjamini-Hochberg)', () => {
    const history = { runs: noisyRuns(200, 40, { noise: 0.03 }).map(historyRunFromSummary), source: 'results/' };
    for (let s = 0; s < 5; s++) {
      const quiet = compareSides(
        noisyRuns(300 + 2 * s, 2, { noise: 0.03 }),
        noisyRuns(400 + 2 * s, 2, { noise: 0.03 }),
        {},
        history,
      );
      expect(marked(quiet)).toEqual([]);
      expect(quiet.rows.flatMap((r) => r.metrics).every((m) => m.pBound === 0.01 / 6)).toBe(true);
    }
    const all = Object.fromEntries(BASE_SERIES.map((_, k) => [k, 1.3]));
    const together = compareSides(
      noisyRuns(0, 2, { noise: 0.03 }),
      noisyRuns(50, 2, { noise: 0.03, factors: all }),
      {},
      history,
    );
    expect(marked(together)).toHaveLength(6);
    expect(marked(together).every((m) => m.pValue > 0.01 / 6 || m.pValue < 0.01)).toBe(true);
    const alone = compareSides(
      noisyRuns(0, 2, { noise: 0.03 }),
      noisyRuns(50, 2, { noise: 0.03, factors: { 0: 1.3 } }),
      {},
      history,
    );
    expect(marked(alone).map((m) => m.pValue < 0.01 / 6)).toEqual([true]);
    expect(alone.banner.join(' ')).toMatch(/2 vs 2 runs are too few for a noise of their own/);
  });
});

describe('one run per side', () => {
  const b = noisyRuns(0, 1, { noise: 0.02 });
  const c = noisyRuns(50, 1, { noise: 0.02, factors: { 0: 1.3 } });

  it('without history: a line above the table says so, and nothing is marked', () => {
    const cmp = compareSides(b, c);
    expect(cmp.spread).toBe('within-run');
    expect(marked(cmp)).toEqual([]);
    const m = metric(cmp, 'shmem', 'alloc');
    expect(m.changePct).toBeGreaterThan(25);
    expect(m.mark).toBe('noisy'); // beyond the within-run spread only: no verdict
    expect(cmp.banner[0]).toMatch(
      /^one run per side and no history: the run-to-run noise is unknown, so no row is marked/,
    );
    const text = compareFormat('text').render(cmp);
    expectWidth(text);
    expect(text.indexOf('one run per side and no history')).toBeGreaterThan(0);
    expect(text.indexOf('one run per side and no history')).toBeLessThan(text.indexOf('host local'));
    expect(text).not.toMatch(/%\s+\*/);
    expect(text).toMatch(/^shmem\s+alloc\s+4K\s+1\s+\S+\s+\S+\s+\+(2\d|3\d)\.\d% ~/m);
    expect(text).toContain('0 faster *, 0 slower *');
    expect(compareFormat('markdown').render(cmp)).toMatch(/^> one run per side and no history/m);
    expect(JSON.parse(compareFormat('json').render(cmp)).banner[0]).toMatch(/^one run per side/);
  });

  it('with a history: the noise comes from it and the permutation test decides, each row held to alpha / rows; +30% beyond a 2% history is marked', () => {
    const history = { runs: noisyRuns(200, 60, { noise: 0.02 }).map(historyRunFromSummary), source: 'results/' };
    const one = compareSides(b, c, {}, history);
    const m = metric(one, 'shmem', 'alloc');
    expect(m.noise!.source).toBe('history');
    expect(m.noise!.used!).toBeLessThan(0.04);
    expect(m.test).toBe('history');
    expect(m.pBound).toBeCloseTo(0.01 / 6, 6);
    expect(m.mark).toBe('significant');
    expect(m.pValue).toBeLessThan(m.pBound!);
    const csv = compareFormat('csv').render(one).split('\r\n');
    const bound = csv[0].split(',').indexOf('p_bound');
    expect(Number(csv.find((l) => l.startsWith('local,shmem,shmem,alloc,4096,'))!.split(',')[bound])).toBeCloseTo(
      0.01 / 6,
      5,
    );
    expect(marked(one)).toHaveLength(1);
    expect(one.banner.join(' ')).toMatch(/a history of 60 runs \(results\/\)/);
    expect(one.banner.join(' ')).toMatch(/each row must reach p < 0\.01 \/ 6 rows = 0\.0017/);
    for (let s = 0; s < 5; s++) {
      const quiet = compareSides(
        noisyRuns(300 + s, 1, { noise: 0.02 }),
        noisyRuns(400 + s, 1, { noise: 0.02 }),
        {},
        history,
      );
      expect(marked(quiet)).toEqual([]);
    }
    // one run against one in a pool of 32 cannot be below 2 / (32 x 31) = 0.0020: nothing can be marked, and the line says what would serve
    const short = { runs: history.runs.slice(0, 30), source: 'results/' };
    const unreachable = compareSides(b, c, {}, short);
    expect(metric(unreachable, 'shmem', 'alloc').changePct).toBeGreaterThan(25);
    expect(marked(unreachable)).toEqual([]);
    expect(unreachable.banner.join(' ')).toMatch(
      /with a history of 30 runs cannot be below 0\.0020: a row that moved alone cannot be marked, only 2 or more that moved together\. Give 2 or more runs a side, or a history of 34 or more runs\./,
    );
    const three = compareSides(
      noisyRuns(0, 3, { noise: 0.02 }),
      noisyRuns(50, 3, { noise: 0.02, factors: { 0: 1.3 } }),
      {},
      history,
    );
    const t = metric(three, 'shmem', 'alloc');
    expect(t.mark).toBe('significant');
    expect(t.ci!.lo).toBeGreaterThan(0);
    expect(marked(three)).toHaveLength(1);
  });
});

describe('the geomean', () => {
  /** series 5 (gmem fault 4K) measured once per run, 40% slower in the candidate */
  const once = (runs: RunSummary[]) =>
    runs.map((r) => ({
      ...r,
      results: r.results.map((x, k) =>
        k === 5 ? { ...x, repetitions: x.repetitions.slice(0, 1), params: { ...x.params, repetitions: 1 } } : x,
      ),
    }));

  it('leaves out rows measured once with one run a side, and counts them with several', () => {
    const one = compareSides(
      once(noisyRuns(0, 1, { noise: 0.02 })),
      once(noisyRuns(50, 1, { noise: 0.02, factors: { 5: 1.4 } })),
    );
    expect(one.summary[0]).toMatchObject({ count: 5, measuredOnce: 1 });
    expect(Math.abs(one.summary[0].changePct)).toBeLessThan(3);
    expect(compareFormat('text').render(one)).toMatch(
      /over 5 rows\n.*\n {2}1 row\(s\) measured once \(1 repetition, one run a side\): not in the geomean/,
    );
    const many = compareSides(
      once(noisyRuns(0, 5, { noise: 0.02 })),
      once(noisyRuns(50, 5, { noise: 0.02, factors: { 5: 1.4 } })),
    );
    expect(many.summary[0]).toMatchObject({ count: 6, measuredOnce: 0 });
    expect(many.summary[0].changePct).toBeGreaterThan(4);
  });
});

describe('the header states each side', () => {
  it('kernel and command line, CPU, dates, suite, runs and repetitions, probe', () => {
    const b = withHost(noisyRuns(0, 5, { noise: 0.02 }), 'console=ttyS0 quiet mitigations=auto');
    const c = withHost(noisyRuns(50, 5, { noise: 0.02 }), 'console=ttyS0 quiet mitigations=off');
    const cmp = compareSides(b, c);
    const wrapped = compareFormat('text').render(cmp);
    expectWidth(wrapped);
    const text = wrapped.replace(/\n {13}/g, ' ');
    expect(text).toMatch(
      /^baseline {3}5 runs 2026-01-01T02-00-00Z-nightly-0000 \.\.(\n {11}| )2026-01-05T02-00-00Z-nightly-0004$/m,
    );
    expect(text).toMatch(
      /^ {11}2026-01-01 02:00:00 \.\. 2026-01-05 02:00:00 UTC, suite nightly, 5 runs x 5 repetitions, probe abcdef012345$/m,
    );
    expect(text).toContain('local cpu: Test CPU @ 2GHz, 2 cores');
    expect(text).toContain('local cmdline: console=ttyS0 quiet mitigations=auto');
    expect(text).toContain('local cmdline: console=ttyS0 quiet mitigations=off');
    expect(text).toContain('kernel     local 6.18.0');
    const same = compareFormat('text').render(
      compareSides(b, withHost(noisyRuns(50, 5, { noise: 0.02 }), 'console=ttyS0 quiet mitigations=auto')),
    );
    expect(same).toContain('local cmdline: as the baseline');
    expect(same).not.toContain('measured:'); // runs that do not record it
    const how = (runs: RunSummary[], pin: string) =>
      runs.map((r) => ({ ...r, measurement: { processes: 3, pin, settle: false } }));
    const pinned = compareFormat('text').render(compareSides(how(b, 'none'), how(c, 'auto')));
    expect(pinned).toContain('measured: 3 processes, pin none');
    expect(pinned).toContain('measured: 3 processes, pin auto');
    expect(compareFormat('text').render(compareSides(how(b, 'auto'), how(c, 'auto')))).toContain(
      'measured: as the baseline',
    );
    const md = compareFormat('markdown').render(cmp);
    expect(md).toContain('  - local cmdline: console=ttyS0 quiet mitigations=off');
    expect(md).toContain('  - local cpu: Test CPU @ 2GHz, 2 cores');
    const json = JSON.parse(compareFormat('json').render(cmp)) as Comparison;
    expect(json.baseline.detail).toMatchObject({
      runs: 5,
      suites: ['nightly'],
      probes: ['abcdef012345'],
      repetitions: [5],
    });
    expect(json.baseline.runIds).toHaveLength(5);
  });
});

describe('the sign convention in every format: + = slower', () => {
  const base = noisyRuns(0, 5, { noise: 0.02 });
  const cand = noisyRuns(50, 5, { noise: 0.02, factors: { 0: 1.15, 3: 0.85 } });
  const layouts: [string, Comparison][] = [
    ['across runs', compareSides(base, cand)],
    ['one run a side', compareSides(base.slice(0, 1), cand.slice(0, 1))],
    ['within-run model', compareRuns(base[0], cand[0])],
  ];

  for (const [name, c] of layouts) {
    it(`${name}: text, markdown, csv and json`, () => {
      const text = compareFormat('text').render(c);
      expect(text.replace(/\n {2}/g, ' ')).toContain(SIGN_LEGEND);
      expect(text).toMatch(/^shmem\s+alloc\s+4K\S*\s+(x1|1)\s+\S+\s+\S+\s+\+1\d\.\d%/m);
      expect(text).toMatch(/^gmem\s+punch\s+2M\S*\s+(x1|1)\s+\S+\s+\S+\s+-1\d\.\d%/m);
      const md = compareFormat('markdown').render(c);
      expect(md).toContain(SIGN_LEGEND);
      expect(md).toMatch(/^\| shmem \| alloc \| 4K \| 1 \| p50 \| \S+ \| \S+ \| \+1\d\.\d% \|/m);
      const csv = compareFormat('csv')
        .render(c)
        .trimEnd()
        .split('\r\n')
        .map((l) => l.split(','));
      const h = csv[0];
      for (const row of csv.slice(1)) {
        const pct = Number(row[h.indexOf('change_pct')]);
        expect(row[h.indexOf('direction')]).toBe(pct > 0 ? 'slower' : pct < 0 ? 'faster' : 'same');
        const verdict = row[h.indexOf('verdict')];
        if (row.at(-1) === 'significant') expect(verdict).toBe(pct > 0 ? 'slower' : 'faster');
        else expect(verdict).toBe('');
      }
      const slowCsv = csv.find((r) => r[1] === 'shmem' && r[3] === 'alloc')!;
      expect(Number(slowCsv[h.indexOf('change_pct')])).toBeGreaterThan(10);
      const json = JSON.parse(compareFormat('json').render(c));
      expect(json.legend[0]).toBe(SIGN_LEGEND);
      const js = json.rows.find((r: { path: string; op: string }) => r.path === 'shmem' && r.op === 'alloc').metrics[0];
      expect(js.changePct).toBeGreaterThan(10);
      expect(js.direction).toBe('slower');
    });
  }

  it('across runs the words slower/faster stand beside the marked rows (markdown, csv)', () => {
    const c = layouts[0][1];
    const md = compareFormat('markdown').render(c);
    expect(md).toMatch(/^\| shmem \| alloc \| .*\| \+1\d\.\d% \| \\\* \| slower \|/m);
    expect(md).toMatch(/^\| gmem \| punch \| .*\| -1\d\.\d% \| \\\* \| faster \|/m);
  });
});

describe('paths over several runs of one kernel', () => {
  it("pairs the two paths run by run and judges them against both series' noise", () => {
    const runs = noisyRuns(0, 6, { noise: 0.02 });
    const c = comparePathsAcross(runs, 'shmem', 'gmem');
    expect(c.mode).toBe('paths');
    expect(c.rows.map((r) => `${r.op} ${r.granule}`)).toEqual(['alloc 4096', 'punch 2097152', 'fault 4096']);
    const alloc = c.rows[0].metrics[0]; // 1500 -> 1200 ns: 20% faster
    expect(alloc.changePct).toBeLessThan(-15);
    expect(alloc.runsBaseline).toBe(6);
    expect(alloc.mark).toBe('significant');
    const fault = c.rows[2].metrics[0]; // 2600 -> 2500 ns: -3.8%, within 3 x 2% noise
    expect(fault.mark).not.toBe('significant');
    const text = compareFormat('text').render(c);
    expectWidth(text);
    expect(text).toMatch(/^baseline {3}path shmem, 6 runs 2026-/m);
    expect(text).toMatch(/^candidate {2}path gmem/m);
    expect(text).toContain('the same runs');
    expect(() => comparePathsAcross(runs, 'shmem', 'secretmem')).toThrow(
      /--paths: the 6 runs have no rows for path "secretmem"/,
    );
  });
});

describe('gmembench compare with several runs per side', () => {
  let tmp: string;
  let base: string[];
  let candDir: string;
  let histDir: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-compare-runs-'));
    base = [];
    for (const r of noisyRuns(0, 5, { noise: 0.02 })) {
      const d = join(tmp, 'base', r.runId);
      await writeSummary(d, r);
      base.push(d);
    }
    candDir = join(tmp, 'cand');
    for (const r of noisyRuns(50, 5, { noise: 0.02, factors: { 0: 1.15 } }))
      await writeSummary(join(candDir, r.runId), r);
    histDir = join(tmp, 'history');
    await mkdir(histDir);
    for (const r of noisyRuns(200, 20, { noise: 0.02 })) await writeSummary(join(histDir, r.runId), r);
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('--baseline RUN... --candidate FOLDER: the step marked slower, the rest not; exit 0', async () => {
    const r = await cli(['compare', '--baseline', ...base, '--candidate', candDir]);
    expect(r.code, r.stderr).toBe(0);
    expectWidth(r.stdout);
    expect(r.stdout).toMatch(/^baseline {3}5 runs 2026-/m);
    expect(r.stdout).toMatch(/^candidate {2}5 runs 2026-/m);
    expect(r.stdout).toMatch(/^shmem\s+alloc\s+4K x1\s+\S+\s+\S+\s+\+1\d\.\d% \*/m);
    expect(r.stdout.match(/%\s+\*/g)).toHaveLength(1);
    expect(r.stdout).toContain('0 faster *, 1 slower *');
    const j = await cli([
      'compare',
      '--baseline',
      join(tmp, 'base'),
      '--candidate',
      candDir,
      '--format',
      'json',
      '--history',
      histDir,
    ]);
    expect(j.code, j.stderr).toBe(0);
    const c = JSON.parse(j.stdout) as Comparison;
    const m = c.rows.find((x) => x.path === 'shmem' && x.op === 'alloc')!.metrics[0];
    expect(m.mark).toBe('significant');
    expect(m.noise!.source).toBe('runs+history');
    expect(c.banner.join(' ')).toContain(`a history of 20 runs (${histDir})`);
  });

  it('the two-positional form takes folders too; one run a side says it cannot judge', async () => {
    const f = await cli(['compare', join(tmp, 'base'), candDir, '--format', 'csv']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout.split('\r\n')[0]).toMatch(
      /,runs_baseline,runs_candidate,noise,noise_source,.*,direction,verdict,mark$/,
    );
    expect(f.stdout).toMatch(/^local,shmem,shmem,alloc,4096,1,p50,.*,5,5,.*,slower,slower,significant\r$/m);
    const one = await cli(['compare', base[0], base[1]]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^one run per side and no history/m);
    expect(one.stdout).not.toMatch(/%\s+\*/);
  });

  it('--paths over a folder of runs, and bad combinations exit 2', async () => {
    const p = await cli(['compare', '--paths', 'shmem,gmem', '--runs', join(tmp, 'base')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^baseline {3}path shmem, 5 runs/m);
    const cases: [string[], RegExp][] = [
      [
        ['compare', '--baseline', base[0]],
        /give both --baseline RUN\.\.\. and --candidate RUN\.\.\. \(got only --baseline\)/,
      ],
      [['compare', base[2], '--baseline', base[0], '--candidate', base[1]], /no positional runs/],
      [['compare', '--paths', 'shmem,gmem', '--baseline', base[0]], /--paths compares two paths of the same runs/],
      [['compare', base[0], base[1], '--history', join(tmp, 'nope')], /--history: .*not a folder of runs/],
      [['compare', '--baseline', join(tmp, 'nope'), '--candidate', candDir], /nope: no such run/],
      [
        ['compare', base[0], base[1], '--min-change', 'big'],
        /option '--min-change <x>' argument 'big' is invalid. not a fraction or percentage/,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('compare --reference syscall', () => {
  /** the runs' rows with the null syscall each met: 250 ns at the moment's speed (the run's noise), 1% of its own */
  const withReference = (runs: RunSummary[], factors: Record<number, number> = {}) =>
    runs.map((s, i) => ({
      ...s,
      results: s.results.map((r, k) => {
        const ns = (250 * r.p50!) / (BASE_SERIES[k].p50(i) * (factors[k] ?? 1));
        const own = () => 1 + 0.01 * gaussian(rng(i * 31 + k * 7 + 3));
        return {
          ...r,
          syscallNs: ns * own(),
          repetitions: r.repetitions.map((x) => ({ ...x, syscallNs: ns * own() })),
        };
      }),
    }));

  it('rows whose noise is the moment they met (10%), 5 vs 5: a +15% step is marked relative to the reference, not as measured', () => {
    const factors = { 2: 1.15 };
    const base = withReference(noisyRuns(0, 5, { noise: 0.1 }));
    const cand = withReference(noisyRuns(50, 5, { noise: 0.1, factors }), factors);
    const raw = compareSides(base, cand);
    expect(marked(raw)).toEqual([]);

    const scaled = summariesPerSyscall([base, cand]);
    expect(scaled.hosts.map((h) => h.host)).toEqual(['local']);
    expect(scaled.hosts[0].typicalNs).toBeGreaterThan(150);
    expect(scaled.unscaled).toEqual([]);
    // the histogram too (the charts draw from it): scaled as the row's figures are
    const [row, orig] = [scaled.sides[0][0].results[0], base[0].results[0]];
    const p50Of = (h: string) => percentiles(decode(h)).p50;
    expect(p50Of(row.histogram!) / p50Of(orig.histogram!)).toBeCloseTo(row.p50! / orig.p50!, 2);
    const c = compareSides(scaled.sides[0], scaled.sides[1]);
    expect(marked(c).map((m) => m.changePct > 10)).toEqual([true]);
    expect(metric(c, 'shmem', 'punch').mark).toBe('significant');
    // the reference is a row of its own, compared like the others, and unchanged here
    expect(Math.abs(metric(c, 'all', 'null-syscall').changePct)).toBeLessThan(10);
    for (const m of c.rows.filter((r) => r.op !== 'null-syscall').map((r) => r.metrics[0]))
      expect(m.noise!.used!).toBeLessThan(0.05);
    expect(describeReference(scaled)).toMatch(/relative to the null syscall .*local \(\d+ ns\)/);
  });

  it('the CLI: --reference syscall says so above the table, shows the reference row, marks the step; a bad value exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-compare-ref-'));
    try {
      const factors = { 2: 1.15 };
      const write = async (side: string, runs: RunSummary[]) => {
        const dirs: string[] = [];
        for (const r of runs) {
          dirs.push(join(dir, side, r.runId));
          await writeSummary(dirs.at(-1)!, r);
        }
        return dirs;
      };
      const base = await write('base', withReference(noisyRuns(0, 5, { noise: 0.1 })));
      const cand = await write('cand', withReference(noisyRuns(50, 5, { noise: 0.1, factors }), factors));
      const r = await cli(['compare', '--baseline', ...base, '--candidate', ...cand, '--reference', 'syscall']);
      expect(r.code, r.stderr).toBe(0);
      expectWidth(r.stdout);
      expect(r.stdout).toMatch(/relative to the null syscall timed beside its passes/);
      expect(r.stdout).toMatch(/^all\s+null-syscall\s+-\s+\d+ns\s+\d+ns/m);
      expect(r.stdout).toMatch(/^shmem\s+punch\s+2M x1\s+\S+\s+\S+\s+\+1\d\.\d% \*/m);
      expect(r.stdout.match(/%\s+\*/g)).toHaveLength(1);
      expect(r.stdout).toMatch(/5 runs\s+x 5 repetitions,/); // the reference row is not a job of 0 repetitions
      // the default is --reference auto: every row here follows its reference, so the exponent it
      // estimates is about 1 and it marks the same step; as measured, the step is lost in the moments' noise
      const dflt = await cli(['compare', '--baseline', ...base, '--candidate', ...cand]);
      expect(dflt.stdout.replace(/\s+/g, ' ')).toMatch(
        /local \(\d+ ns, exponent (0\.9\d|1\.00): \S+ \+- 0\.\d\d from 300 passes\)/,
      );
      expect(dflt.stdout).toMatch(/^shmem\s+punch\s+2M x1\s+\S+\s+\S+\s+\+1\d\.\d% \*/m);
      expect(dflt.stdout.match(/%\s+\*/g)).toHaveLength(1);
      const raw = await cli(['compare', '--baseline', ...base, '--candidate', ...cand, '--reference', 'none']);
      expect(raw.stdout).not.toMatch(/null.syscall/);
      expect(raw.stdout.match(/%\s+\*/g)).toBeNull();
      const bad = await cli(['compare', '--baseline', ...base, '--candidate', ...cand, '--reference', 'cpu']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--reference/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--reference auto on a quiet host whose null syscall moves on its own: about as measured, where dividing adds its noise', () => {
    // the ops' own noise 1%; the reference moves 4% pass to pass and run to run, the ops do not follow it
    const own = (runs: RunSummary[]) =>
      runs.map((s, i) => ({
        ...s,
        results: s.results.map((r, k) => ({
          ...r,
          syscallNs: 250,
          repetitions: r.repetitions.map((x, j) => ({
            ...x,
            syscallNs: 250 * Math.exp(0.04 * gaussian(rng(i * 131 + k * 17 + j * 5 + 1))),
          })),
        })),
      }));
    const [base, cand] = [own(noisyRuns(0, 5, { noise: 0.01 })), own(noisyRuns(50, 5, { noise: 0.01 }))];
    const auto = summariesPerSyscall([base, cand], 'auto');
    expect(auto.hosts[0].exponent).toBeLessThan(0.3);
    expect(auto.hosts[0].estimate).toMatchObject({ observations: 300, groups: 12 });
    expect(describeReference(auto)).toMatch(/exponent 0\.[0-2]\d: -?\d\.\d\d \+- 0\.\d\d from 300 passes/);
    // the spread of the repetitions of one row on one side: divided, the reference's 4% is added to it
    const spread = (runs: RunSummary[]) => {
      const v = runs.flatMap((s) => s.results[0].repetitions.map((x) => Math.log(x.p50)));
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    };
    const divided = summariesPerSyscall([base, cand], 'syscall');
    expect(spread(divided.sides[0])).toBeGreaterThan(2 * spread(base));
    expect(spread(auto.sides[0])).toBeLessThan(1.5 * spread(base));
  });

  it('rows without a reference (an older probe) stay as measured, and say so', () => {
    const scaled = summariesPerSyscall([noisyRuns(0, 2, { noise: 0.05 }), noisyRuns(50, 2, { noise: 0.05 })]);
    expect(scaled.hosts).toEqual([]);
    expect(scaled.unscaled).toEqual(['local']);
    expect(scaled.sides[0][0].results).toEqual(noisyRuns(0, 2, { noise: 0.05 })[0].results);
    expect(describeReference(scaled)).toMatch(
      /no row has a null-syscall reference \(older probes\): compared as measured.*local/,
    );
  });
});
