/**
 * run's table: one row per host/op/granule/threads with the paths side by side, fitted to a width;
 * the live view's ETA line; `run --only` narrowing a suite.
 */
import { describe, expect, it } from 'vitest';
import { formatRunTable } from '../src/output/table.js';
import { outputWidth, wrapText } from '../src/output/columns.js';
import { formatDuration, jobProgressLine } from '../src/output/progress.js';
import { filterSuite, parseOnly } from '../src/benchmark/select.js';
import { loadSuite } from '../src/config/suite.js';
import type { ResultRow, RunSummary } from '../src/results/schema.js';
import { fixtureSummary, type FixtureSeries } from './helpers/regress-fixtures.js';
import { resolve } from 'node:path';
import { ROOT } from './helpers/cli.js';

const M2 = 2 << 20;
const SERIES: FixtureSeries[] = [];
for (const op of ['alloc', 'fault', 'punch']) {
  for (const granule of [4096, M2]) {
    for (const [path, f] of [
      ['shmem', 1],
      ['gmem', 0.8],
      ['hugetlb', 1.1],
      ['secretmem', 1.3],
    ] as const) {
      if (path === 'hugetlb' && granule === 4096) continue;
      const base = op === 'alloc' ? 1500 : op === 'fault' ? 2600 : 250_000;
      SERIES.push({ path, op, granule, p50: () => base * f * (granule === M2 ? 40 : 1) });
    }
  }
}
SERIES.push(
  { path: 'shmem', op: 'guest-fault', granule: 4096, p50: () => 9000 },
  { path: 'gmem', op: 'guest-fault', granule: 4096, p50: () => 8000 },
);

const LONG_REASON =
  'hugetlb memfd needs reserved huge pages: /proc/sys/vm/nr_hugepages is 0 on this host, so MFD_HUGETLB of 4K granules cannot be measured; reserve pages with sysctl vm.nr_hugepages=64 and run again';

function smokeLikeSummary(): RunSummary {
  const s = fixtureSummary(1, SERIES, { suite: 'smoke' });
  for (const r of s.results) {
    if (r.op === 'guest-fault') r.extra = { exitOnlyNs: 2100 };
  }
  // a tiny mean with a huge tail: the old table printed this as "9.38us ±3408%"
  const g = s.results.find((r) => r.path === 'secretmem' && r.op === 'alloc' && r.granule === 4096)!;
  g.mean = 9380;
  g.stddev = 319_700;
  const unsupported: ResultRow = {
    ...s.results[0],
    path: 'hugetlb',
    op: 'alloc',
    granule: 4096,
    status: 'unsupported',
    reason: LONG_REASON,
    samples: 0,
    min: null,
    p50: null,
    p90: null,
    p99: null,
    p999: null,
    max: null,
    mean: null,
    stddev: null,
    histogram: null,
    repetitions: [],
  };
  s.results.push(unsupported, { ...unsupported, op: 'fault' }, { ...unsupported, op: 'punch' });
  return s;
}

const lines = (t: string) => t.split('\n');
/** the rows of the main table: the lines after the dashes rule, up to the first blank/legend line */
function tableRows(t: string): string[] {
  const ls = lines(t);
  const rule = ls.findIndex((l) => /^-+( +-+)+$/.test(l));
  const end = ls.findIndex((l, i) => i > rule && (l === '' || l.startsWith('gmem/shmem:')));
  return ls.slice(rule + 1, end);
}

describe('run table', () => {
  const summary = smokeLikeSummary();

  it('one row per host/op/granule/threads, paths as p50/p99 column groups, a gmem/shmem ratio', () => {
    const t = formatRunTable(summary, { wide: true });
    const ls = lines(t);
    // group headings over the header line: each path once, in path order
    const groups = ls[0];
    expect(groups.split(/\s+/).filter(Boolean)).toEqual(['p50', 'shmem', 'gmem', 'hugetlb', 'secretmem']);
    const header = ls[1].split(/\s+/).filter(Boolean);
    expect(header.slice(0, 4)).toEqual(['op', 'granule', 'thr', 'gmem/shmem']);
    expect(header.filter((h) => h === 'p50')).toHaveLength(4);
    expect(header.filter((h) => h === 'p99')).toHaveLength(4);
    // every path's heading sits over its own p50 column
    const pos = (re: RegExp, l: string) => [...l.matchAll(re)].map((m) => m.index!);
    const p50s = pos(/\bp50\b/g, ls[1]);
    const names = ['shmem', 'gmem', 'hugetlb', 'secretmem'].map((p) => groups.indexOf(` ${p}`) + 1);
    for (const [i, n] of names.entries()) expect(Math.abs(n - p50s[i]), `${ls[0]}\n${ls[1]}`).toBeLessThanOrEqual(8);
    const rows = tableRows(t);
    // 3 ops x 2 granules + guest-fault 4K; no row per path
    expect(rows).toHaveLength(7);
    const keys = rows.map((r) => r.split(/\s+/).slice(0, 3).join(' '));
    expect(new Set(keys).size).toBe(7);
    expect(keys).toContain('alloc 4K 1');
    expect(keys).toContain('punch 2M 1');
    expect(keys).toContain('guest-fault 4K 1');
    // gmem is 0.8x shmem in the fixture
    const alloc = rows.find((r) => r.startsWith('alloc') && / 4K /.test(r))!;
    expect(alloc.split(/\s+/)[3]).toMatch(/^0\.(79|80|81)x$/);
    // guest-fault has no hugetlb/secretmem: dashes in their columns
    expect(rows.find((r) => r.startsWith('guest-fault'))).toMatch(/ - +- +- +-/);
    expect(t).toContain('gmem/shmem: guest_memfd p50 / shmem p50');
  });

  it('fits 100 and 80 columns; what it leaves out it names, and --wide shows every column', () => {
    for (const width of [100, 80]) {
      const t = formatRunTable(summary, { width });
      for (const l of lines(t)) expect(l.length, `width ${width}: "${l}"`).toBeLessThanOrEqual(width);
      // the main paths' p50 and the ratio are never left out
      expect(lines(t)[0]).toMatch(/shmem/);
      expect(lines(t)[0]).toMatch(/gmem/);
      expect(lines(t)[1]).toContain('gmem/shmem');
      expect(tableRows(t)).toHaveLength(7);
    }
    const narrow = formatRunTable(summary, { width: 80 });
    if (process.env.SHOW_TABLE) console.log(`${narrow}\n\n${formatRunTable(summary, { width: 100 })}`);
    expect(narrow.replace(/\n(?=\S)/g, ' ')).toMatch(
      /\d+ column\(s\) left out to fit 80 columns \(.*\); --wide shows every column/,
    );
    const wide = formatRunTable(summary, { width: 80, wide: true });
    const header = lines(wide)[1].split(/\s+/).filter(Boolean);
    // every path: p50 p99 p90 max sd calls
    for (const h of ['p50', 'p99', 'p90', 'max', 'sd', 'calls'])
      expect(
        header.filter((x) => x === h),
        h,
      ).toHaveLength(4);
    expect(wide).not.toContain('left out');
    expect(Math.max(...lines(wide).map((l) => l.length))).toBeGreaterThan(100);
  });

  it('says what the null syscall beside the passes cost, and how far it moved; nothing without one (older probes)', () => {
    expect(formatRunTable(summary)).not.toMatch(/null syscall/);
    let n = 0;
    const withRef: RunSummary = {
      ...summary,
      results: summary.results.map((r) => ({
        ...r,
        repetitions: r.repetitions.map((x) => ({ ...x, syscallNs: 200 + 10 * (n++ % 11) })),
      })),
    };
    const t = formatRunTable(withRef, { width: 100 });
    expect(t).toMatch(/^null syscall beside the passes: median 2[0-9]0ns, 200ns to 300ns over \d+ passes/m);
    expect(t).toMatch(/compare, report and\s+bisect-check scale each\s+row by its own/);
  });

  it('the spread is a time, never a percentage of a tiny mean', () => {
    for (const t of [formatRunTable(summary, { wide: true }), formatRunTable(summary, { width: 100 })]) {
      expect(t).not.toMatch(/±\s*\d+%/);
      expect(t).not.toMatch(/\d{3,}%/);
    }
    expect(formatRunTable(summary, { wide: true })).toContain('320us');
  });

  it('notes and reasons are wrapped to the width; one reason is listed once for the rows it stopped', () => {
    for (const width of [100, 80]) {
      const t = formatRunTable(summary, { width });
      const ls = lines(t);
      const nm = ls.indexOf('not measured:');
      expect(nm, t).toBeGreaterThan(0);
      const entry = ls.slice(nm + 1).filter((l) => l.startsWith('  '));
      // the three hugetlb 4K rows share one reason: one entry, continued on indented lines
      expect(entry.filter((l) => /^ {2}\S/.test(l))).toHaveLength(1);
      expect(entry[0]).toMatch(/^ {2}hugetlb alloc, fault, punch 4K unsupported: hugetlb memfd/);
      expect(entry.length).toBeGreaterThan(1);
      for (const l of entry.slice(1)) expect(l).toMatch(/^ {4}\S/);
      // nothing is lost: the words of the reason all appear, in order
      expect(entry.map((l) => l.trim()).join(' ')).toContain(LONG_REASON);
      const notes = ls.indexOf('notes:');
      expect(ls[notes + 1]).toMatch(
        /^ {2}shmem, gmem guest-fault 4K: KVM_RUN without a fault \(entry \+ exit\): 2\.10us$/,
      );
    }
    // without a width (the summary keeps the text in full) the reason is one line
    expect(formatRunTable(summary, { wide: true })).toContain(`unsupported: ${LONG_REASON}`);
  });

  it('several hosts get a host column; a failed host is named with its reason', () => {
    const s = fixtureSummary(
      1,
      [
        { host: 'a', path: 'shmem', p50: () => 1000 },
        { host: 'a', path: 'gmem', p50: () => 900 },
        { host: 'b', path: 'shmem', p50: () => 1100 },
        { host: 'b', path: 'gmem', p50: () => 1000 },
      ],
      { failedHosts: ['c'] },
    );
    const t = formatRunTable(s, { width: 100 });
    expect(lines(t)[1].split(/\s+/)[0]).toBe('host');
    expect(tableRows(t).map((r) => r.split(/\s+/)[0])).toEqual(['a', 'b']);
    expect(t).toMatch(/host c: .*ECONNREFUSED/);
  });

  it('outputWidth: COLUMNS, then the terminal, then 100 for a pipe', () => {
    expect(outputWidth({ isTTY: false }, {})).toBe(100);
    expect(outputWidth({ isTTY: true, columns: 132 }, {})).toBe(132);
    expect(outputWidth({ isTTY: true, columns: 132 }, { COLUMNS: '90' })).toBe(90);
    expect(outputWidth({ isTTY: false }, { COLUMNS: 'x' })).toBe(100);
  });

  it('wrapText keeps words, cuts only a word longer than the width', () => {
    expect(wrapText('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('short', 80)).toEqual(['short']);
  });
});

describe('live progress', () => {
  it('shows the job count, elapsed time and an ETA from the mean job time', () => {
    expect(jobProgressLine('gmem fault 4K t1', 0, 64, 0)).toBe('[1/64] gmem fault 4K t1 (0:00 elapsed)');
    // 4 jobs in 12 s: 3 s a job, 60 left -> 3:00
    expect(jobProgressLine('gmem fault 4K t1', 4, 64, 12_000)).toBe(
      '[5/64] gmem fault 4K t1 (0:12 elapsed, ~3:00 left)',
    );
    expect(jobProgressLine('x', 10, 20, 3_600_000)).toBe('[11/20] x (1:00:00 elapsed, ~1:00:00 left)');
    // no job count (host connect, lock): the message as it is
    expect(jobProgressLine('taking the host lock', 0, 0, 0)).toBe('taking the host lock');
    expect(formatDuration(59_600)).toBe('1:00');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});

describe('run --only', () => {
  it('parses key=value filters; a key given twice means either value; granules take sizes', () => {
    expect(parseOnly('op=guest-fault,path=gmem')).toEqual({ op: ['guest-fault'], path: ['gmem'] });
    expect(parseOnly('granule=2M, op=alloc,op=punch')).toEqual({ granule: [String(2 << 20)], op: ['alloc', 'punch'] });
  });

  it('a bad filter is a clear error naming --only, the part and the keys', () => {
    expect(() => parseOnly('colour=red')).toThrow(
      /--only: "colour=red" is not key=value with a key of path, op, granule, threads/,
    );
    expect(() => parseOnly('op')).toThrow(/--only: "op" is not key=value/);
    expect(() => parseOnly(',')).toThrow(/--only: give at least one key=value/);
    expect(() => parseOnly('granule=huge')).toThrow(/not a size: "huge"/);
  });

  it('narrows the smoke suite to what the filter names, keeping each workload settings', async () => {
    const suite = await loadSuite(resolve(ROOT, 'suites/smoke.yaml'));
    const f = filterSuite(suite, parseOnly('op=guest-fault,path=gmem'));
    expect(f.workloads.map((w) => w.name)).toEqual(['conversion-small', 'conversion-huge']);
    for (const w of f.workloads) {
      expect(w.paths).toEqual(['gmem']);
      expect(w.ops).toEqual(['guest-fault']);
    }
    expect(f.workloads[1].region).toBe(suite.workloads.find((w) => w.name === 'conversion-huge')!.region);
    const g = filterSuite(suite, parseOnly('granule=2M,path=shmem,path=gmem,op=alloc,threads=1'));
    expect(g.workloads).toHaveLength(1);
    expect(g.workloads[0]).toMatchObject({
      name: 'huge-granules',
      paths: ['shmem', 'gmem'],
      ops: ['alloc'],
      granules: [2 << 20],
    });
    const t = filterSuite(suite, parseOnly('threads=2'));
    expect(t.workloads.map((w) => w.name)).toEqual(['concurrency-small', 'concurrency-huge', 'stress']);
  });

  it('a filter that matches nothing names the filter and the suite file', async () => {
    const suite = await loadSuite(resolve(ROOT, 'suites/smoke.yaml'));
    expect(() => filterSuite(suite, parseOnly('op=compact,granule=2M'))).toThrow(
      /--only op=compact, granule=2097152: no workload of .*smoke\.yaml measures that/,
    );
  });
});
