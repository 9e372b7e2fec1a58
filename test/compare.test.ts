/** compare: rows, signs and marks on runs with known differences; every format; 80 columns. */
import { describe, expect, it } from 'vitest';
import {
  compareMetric,
  comparePaths,
  compareRuns,
  DEFAULT_COMPARE_OPTIONS,
  type Comparison,
} from '../src/analysis/compare.js';
import { COMPARE_FORMATS, compareFormat } from '../src/export/compare-format.js';
import { REGRESS_FORMATS, regressFormat } from '../src/export/regress-format.js';
import { formatRegistry } from '../src/export/format.js';
import { renderCompareText, TEXT_WIDTH } from '../src/export/compare-text.js';
import { renderCompareCsv } from '../src/export/compare-csv.js';
import { renderCompareMarkdown } from '../src/export/compare-markdown.js';
import type { ResultRow, RunSummary } from '../src/results/schema.js';
import { runOf } from './helpers/compare-fixtures.js';

function row(c: Comparison, path: string, op: string) {
  const r = c.rows.find((x) => x.path === path && x.op === op);
  if (!r) throw new Error(`no row ${path} ${op}`);
  return r.metrics[0];
}

function expectWidth(text: string) {
  for (const line of text.split('\n')) {
    expect(line.length, `line too wide: "${line}"`).toBeLessThanOrEqual(TEXT_WIDTH);
    expect(line).not.toMatch(/\t/);
  }
}

describe('two runs of the same distribution (different seeds)', () => {
  it('compares every row and marks none', () => {
    for (const [i, j] of [
      [1, 2],
      [3, 4],
      [5, 6],
    ]) {
      const c = compareRuns(runOf(i), runOf(j), { metrics: ['p50', 'p99'] });
      expect(c.rows).toHaveLength(6);
      expect(c.notCompared).toEqual([]);
      for (const r of c.rows)
        for (const m of r.metrics) expect(m.mark, `${r.path} ${r.op} ${m.metric} p=${m.pValue}`).toBe('none');
      expect(Math.abs(c.summary[0].changePct)).toBeLessThan(0.5);
      expect(c.summary[0]).toMatchObject({ count: 6, better: 0, worse: 0, noisy: 0 });
      const text = renderCompareText(c);
      expect(text).not.toMatch(/%\s+[*~]/);
    }
  });

  it('false alarms over 100 no-change pairs stay below the 5% level', () => {
    let rows = 0;
    let marked = 0;
    for (let i = 101; i < 300; i += 2) {
      const c = compareRuns(runOf(i), runOf(i + 1));
      rows += c.rows.length;
      marked += c.rows.filter((r) => r.metrics[0].mark !== 'none').length;
    }
    expect(rows).toBe(600);
    expect(marked / rows).toBeLessThan(0.05);
  });
});

describe('a candidate with known changes', () => {
  // shmem alloc 4K 30% slower, gmem punch 2M 20% faster, everything else the same
  const c = compareRuns(runOf(1), runOf(2, { 0: 1.3, 3: 0.8 }), { metrics: ['p50', 'p99'] });

  it('marks the slower row * with a positive change and the faster one * with a negative change (+ = slower)', () => {
    const slow = row(c, 'shmem', 'alloc');
    expect(slow.changePct).toBeGreaterThan(28);
    expect(slow.changePct).toBeLessThan(32);
    expect(slow.mark).toBe('significant');
    expect(slow.pValue).toBeLessThan(0.01);
    expect(slow.ci!.lo).toBeGreaterThan(0);
    const fast = row(c, 'gmem', 'punch');
    expect(fast.changePct).toBeGreaterThan(-22);
    expect(fast.changePct).toBeLessThan(-18);
    expect(fast.mark).toBe('significant');
    expect(fast.ci!.hi).toBeLessThan(0);
    for (const [p, o] of [
      ['gmem', 'alloc'],
      ['shmem', 'punch'],
      ['shmem', 'fault'],
      ['gmem', 'fault'],
    ])
      expect(row(c, p, o).mark).toBe('none');
  });

  it('summarises with the geometric mean of candidate/baseline over the compared rows', () => {
    const s = c.summary[0];
    const ratios = c.rows.map((r) => r.metrics[0].ratio);
    expect(s.geomeanRatio).toBeCloseTo(Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / 6), 12);
    expect(s.geomeanRatio).toBeGreaterThan(1.0);
    expect(s.geomeanRatio).toBeLessThan(1.015);
    expect(s).toMatchObject({ count: 6, better: 1, worse: 1, noisy: 0 });
  });

  it('prints an 80-column text table with signs, marks, a legend and the kernel', () => {
    const text = renderCompareText(c);
    expectWidth(text);
    expect(text).toMatch(/^shmem\s+alloc\s+4K\s+1\s+p50\s+1\.50us\s+1\.9\dus\s+\+(29|30)\.\d% \*/m);
    expect(text).toMatch(/^gmem\s+punch\s+2M\s+1\s+p50\s+180us\s+14\dus\s+-(19|20)\.\d% \*/m);
    expect(text).toMatch(/^gmem\s+alloc\s+4K\s+1\s+p50\s+1\.20us\s+1\.20us\s+[-+]0\.\d%\s+/m);
    expect(text).toContain('baseline   run 2026-01-02T02-00-00Z-nightly-0001');
    expect(text).toContain('kernel     local 6.18.0');
    expect(text).toMatch(/geomean p50: candidate\/baseline 1\.0\d\d \(\+\d\.\d%\) over 6 rows/);
    expect(text).toContain('1 faster *, 1 slower *, 0 noisy ~, 4 no clear change');
    expect(text).toContain('* = p < 0.05');
    expect(text).toContain('~ = noisy');
  });

  it('markdown, json and csv carry the same rows', () => {
    const md = renderCompareMarkdown(c);
    expect(md).toMatch(/^\| path \| op \| granule \| threads \| metric \| baseline \| candidate \| change \|/m);
    expect(md).toMatch(/^\| shmem \| alloc \| 4K \| 1 \| p50 \| 1\.50us \| 1\.9\dus \| \+(29|30)\.\d% \| \\\* \|/m);
    const json = JSON.parse(compareFormat('json').render(c)) as Comparison;
    expect(json.rows).toHaveLength(6);
    expect(json.rows[0].metrics[0].mark).toBe('significant');
    const csv = renderCompareCsv(c).trimEnd().split('\r\n');
    expect(csv).toHaveLength(1 + 12);
    expect(csv[0].split(',')).toContain('change_pct');
    const first = csv[1].split(',');
    expect(first.slice(0, 7)).toEqual(['local', 'shmem', 'shmem', 'alloc', '4096', '1', 'p50']);
    expect(first.at(-1)).toBe('significant');
    expect(Object.keys(COMPARE_FORMATS).sort()).toEqual(['csv', 'json', 'markdown', 'text']);
    expect(() => compareFormat('html')).toThrow(/--format: unknown format "html"/);
  });
});

describe('noise', () => {
  /** scale the candidate row's repetition p50s by these factors (and its p50 by their mean) */
  function shake(run: RunSummary, idx: number, factors: number[]): RunSummary {
    const r = run.results[idx];
    const reps = r.repetitions.map((x, k) => ({ ...x, p50: Math.round(x.p50 * factors[k]) }));
    const mean = factors.reduce((a, b) => a + b, 0) / factors.length;
    run.results[idx] = { ...r, p50: Math.round(r.p50! * mean), repetitions: reps };
    return run;
  }

  it('a noisy row is marked ~, not reported as a change', () => {
    const cand = shake(runOf(2), 0, [1.0, 1.2, 0.9, 1.25, 1.05]);
    const c = compareRuns(runOf(1), cand);
    const m = row(c, 'shmem', 'alloc');
    expect(m.cvCandidate!).toBeGreaterThan(0.05);
    expect(m.changePct).toBeGreaterThan(5);
    expect(m.mark).toBe('noisy');
    expect(c.summary[0].noisy).toBe(1);
    expect(renderCompareText(c)).toMatch(/^shmem\s+alloc\s+4K.*\+\d+\.\d% ~/m);
  });

  it('a change far beyond the noise is still *', () => {
    const cand = shake(runOf(2, { 0: 2 }), 0, [1.0, 1.07, 0.95, 1.08, 1.02]);
    const m = row(compareRuns(runOf(1), cand), 'shmem', 'alloc');
    expect(m.cvCandidate!).toBeGreaterThan(0.05);
    expect(m.changePct).toBeGreaterThan(90);
    expect(m.mark).toBe('significant');
  });

  it('--noise moves the threshold', () => {
    const cand = shake(runOf(2), 0, [1.0, 1.2, 0.9, 1.25, 1.05]);
    const m = row(compareRuns(runOf(1), cand, { noise: 0.5 }), 'shmem', 'alloc');
    expect(m.mark).not.toBe('noisy');
  });

  it('without repetitions there is no test: p = 1, no mark', () => {
    const b = runOf(1).results[0];
    const c = { ...runOf(2, { 0: 1.3 }).results[0], repetitions: [] } as ResultRow;
    const m = compareMetric('p50', b, c, DEFAULT_COMPARE_OPTIONS)!;
    expect(m.pValue).toBe(1);
    expect(m.mark).toBe('none');
    expect(m.changePct).toBeGreaterThan(25);
  });

  it('says when the repetitions are too few for any * (3 vs 3)', () => {
    const three = (run: RunSummary) => ({
      ...run,
      results: run.results.map((r) => ({ ...r, repetitions: r.repetitions.slice(0, 3) })),
    });
    const c = compareRuns(three(runOf(1)), three(runOf(2, { 0: 1.5 })));
    expect(row(c, 'shmem', 'alloc').mark).toBe('none');
    expect(c.notes.join(' ')).toMatch(/3 vs 3 repetitions cannot reach p < 0.05/);
    expectWidth(renderCompareText(c));
  });
});

describe('rows that cannot be compared', () => {
  it('are listed with the reason, not dropped; the rows of one reason on one line', () => {
    const base = runOf(1);
    const cand = runOf(2);
    cand.results[1] = {
      ...cand.results[1],
      status: 'unsupported',
      reason: 'guest_memfd: ENOTTY (no KVM_CAP_GUEST_MEMFD)',
      p50: null,
    };
    cand.results.splice(5, 1); // gmem fault 4K only in the baseline
    base.results.splice(2, 1); // shmem punch 2M only in the candidate
    cand.hosts.push({
      name: 'lab2',
      status: 'failed',
      subStatus: 'unreachable',
      error: 'connect ECONNREFUSED',
      labels: {},
      fingerprint: null,
    });
    const c = compareRuns(base, cand);
    expect(c.rows).toHaveLength(3);
    expect(c.notCompared[0].series).toEqual({ path: 'gmem', op: 'alloc', granule: 4096, threads: 1 });
    expect(c.notCompared[3].series).toBeUndefined(); // a host
    expect(c.notCompared.map(({ series: _, ...n }) => n)).toEqual([
      {
        host: 'local',
        what: 'gmem alloc 4K x1',
        reason: 'candidate unsupported: guest_memfd: ENOTTY (no KVM_CAP_GUEST_MEMFD)',
      },
      { host: 'local', what: 'gmem fault 4K x1', reason: 'only in the baseline run' },
      { host: 'local', what: 'shmem punch 2M x1', reason: 'only in the candidate run' },
      { host: 'lab2', what: 'host', reason: 'failed in the candidate (unreachable): connect ECONNREFUSED' },
    ]);
    const text = renderCompareText(c);
    expectWidth(text);
    expect(text).toContain('not compared (4):');
    expect(text).toContain('  local gmem alloc 4K x1: candidate unsupported: guest_memfd: ENOTTY'); // two hosts: named
    expect(text).toContain('  host lab2: failed in the candidate (unreachable): connect ECONNREFUSED');
    // two more rows the candidate lacks: one line for the three, naming what they span and how many
    const more = structuredClone(base);
    more.results.push(
      { ...base.results[0], op: 'fault', granule: 2 << 20 },
      { ...base.results[0], op: 'punch', granule: 2 << 20, threads: 2 },
    );
    const grouped = renderCompareText(compareRuns(more, cand));
    expect(grouped).toContain('not compared (6):');
    expect(grouped.replace(/\n {4}/g, ' ')).toMatch(
      /^ {2}local gmem, shmem fault, punch 4K, 2M x1, x2 \(3 rows\): only in the baseline run$/m,
    );
    expectWidth(grouped);
  });
});

describe('two paths of one run', () => {
  it('pairs shmem and gmem rows by op, granule and threads', () => {
    const c = comparePaths(runOf(1), 'shmem', 'gmem');
    expect(c.mode).toBe('paths');
    expect(c.rows.map((r) => `${r.op} ${r.granule}`)).toEqual(['alloc 4096', 'punch 2097152', 'fault 4096']);
    const alloc = c.rows[0].metrics[0];
    expect(alloc.changePct).toBeLessThan(-18); // 1500 -> 1200 ns: faster
    expect(alloc.mark).toBe('significant');
    expect(c.rows[1].metrics[0].changePct).toBeLessThan(-26); // 250 -> 180 us
    const text = renderCompareText(c);
    expectWidth(text);
    expect(text).toContain('baseline   path shmem (run 2026-01-02T02-00-00Z-nightly-0001)');
    expect(text).toMatch(/^op\s+granule\s+thr\s+shmem\s+gmem\s+change/m);
    expect(text).toMatch(/^alloc\s+4K\s+1\s+1\.50us\s+1\.20us\s+-\d\d\.\d% \*/m);
  });

  it('names the path in the reasons of rows it cannot pair', () => {
    const run = runOf(1);
    run.results[3] = { ...run.results[3], status: 'unsupported', reason: 'no /dev/kvm', p50: null }; // gmem punch 2M
    run.results.splice(4, 1); // shmem fault 4K: gmem fault 4K has no partner
    const c = comparePaths(run, 'shmem', 'gmem');
    expect(c.rows).toHaveLength(1);
    expect(c.notCompared[0].series).toEqual({ op: 'punch', granule: 2 << 20, threads: 1 }); // no path: the sides are paths
    expect(c.notCompared.map(({ series: _, ...n }) => n)).toEqual([
      { host: 'local', what: 'punch 2M x1', reason: 'gmem unsupported: no /dev/kvm' },
      { host: 'local', what: 'fault 4K x1', reason: 'no shmem row' },
    ]);
  });

  it('an unknown path is an error naming it', () => {
    expect(() => comparePaths(runOf(1), 'shmem', 'secretmem')).toThrow(
      /--paths: run .* has no rows for path "secretmem" \(it has shmem, gmem\)/,
    );
  });
});

describe('80 columns whatever the input', () => {
  it('long host names, long ops, many hosts, large changes, p99', () => {
    const long = (run: RunSummary, host: string) => ({
      ...run,
      hosts: run.hosts.map((h) => ({
        ...h,
        name: host,
        fingerprint: {
          kernel: {
            release: '6.19.0-rc3-next-20261124-gmem-hugepage-support-v7+',
            version: '',
            cmdline: '',
            machine: '',
          },
        } as never,
      })),
      results: run.results.map((r, k) => ({ ...r, host, op: k % 2 ? 'to-private' : r.op, threads: 128 })),
    });
    const b1 = long(runOf(1), 'tdx-lab-node-017.perf.example.internal');
    const b2 = long(runOf(3), 'sev-snp-lab-node-002.perf.example.internal');
    const c1 = long(runOf(2, { 0: 40, 1: 0.01 }), 'tdx-lab-node-017.perf.example.internal');
    const c2 = long(runOf(4), 'sev-snp-lab-node-002.perf.example.internal');
    const base = { ...b1, hosts: [...b1.hosts, ...b2.hosts], results: [...b1.results, ...b2.results] };
    const cand = { ...c1, hosts: [...c1.hosts, ...c2.hosts], results: [...c1.results, ...c2.results] };
    cand.results[2] = {
      ...cand.results[2],
      status: 'failed',
      reason: 'probe exited with signal SIGKILL after 300 s (out of memory? the host log may say more about it)',
    };
    for (const metrics of [['p50'], ['p50', 'p99']] as const) {
      const c = compareRuns(base, cand, { metrics: [...metrics] });
      const text = renderCompareText(c);
      expectWidth(text);
      expect(text).toContain('host tdx-lab-node-017.perf.example.internal');
      expect(text).toContain('host sev-snp-lab-node-002.perf.example.internal');
      expect(text).toMatch(/\+3\d{3}% \*/);
    }
  });
});

describe('one Format<T> registry for compare and regress', () => {
  it('finds formats by name, names the choices on a miss, refuses a name twice; no extension field', () => {
    expect(Object.keys(COMPARE_FORMATS)).toEqual(['text', 'markdown', 'json', 'csv']);
    expect(Object.keys(REGRESS_FORMATS)).toEqual(['text', 'json', 'junit']);
    for (const f of [...Object.values(COMPARE_FORMATS), ...Object.values(REGRESS_FORMATS)])
      expect(Object.keys(f).sort()).toEqual(['name', 'render']);
    expect(regressFormat('junit').name).toBe('junit');
    expect(() => regressFormat('csv')).toThrow(/--format: unknown format "csv" \(one of text, json, junit\)/);
    expect(() => compareFormat('toString')).toThrow(/unknown format "toString"/);
    expect(() =>
      formatRegistry([
        { name: 'a', render: () => '' },
        { name: 'a', render: () => '' },
      ]),
    ).toThrow(/"a" registered twice/);
  });
});
