import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { listRuns, readSummary, writeSummary } from '../src/results/store.js';
import { isReference } from '../src/analysis/reference.js';
import { writeHistory } from './helpers/regress-fixtures.js';
import { gaussian, rng } from './helpers/synthetic.js';
import { bisectVerdict } from '../src/analysis/bisect.js';
import { parseSeriesKey, restrictSuite } from '../src/benchmark/select.js';
import { loadSuite } from '../src/config/suite.js';

if (!hasCc) skipReason('bisect-check measuring', 'no C compiler (cc) to build the probe');

let tmp: string;
let base: string[];
let same: string[];
let slow: string[];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gmembench-bisect-'));
  const s = (p50: number) => [
    { op: 'alloc', granule: 4096, p50: () => p50 },
    { op: 'fault', granule: 4096, p50: () => 1000 },
  ];
  base = await writeHistory(join(tmp, 'base'), 3, s(800));
  same = await writeHistory(join(tmp, 'same'), 1, s(803), { start: Date.parse('2026-03-01T00:00:00Z') });
  slow = await writeHistory(join(tmp, 'slow'), 1, s(880), { start: Date.parse('2026-03-02T00:00:00Z') });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const SERIES = 'local/shmem/alloc/4K/1';
/** bisect-check of SERIES against the three baseline runs */
const check = (fresh: string, ...more: string[]) =>
  cli(['bisect-check', '--series', SERIES, '--baseline', join(tmp, 'base'), '--fresh', fresh, ...more]);
/** bisect-check of SERIES measuring the commit `runs` times into `results` (the smoke suite; any verdict) */
const measureAgainst = (baseline: string, results: string, runs: number, ...more: string[]) =>
  cli([
    'bisect-check',
    '--series',
    SERIES,
    '--baseline',
    baseline,
    '--suite',
    resolve(ROOT, 'suites/smoke.yaml'),
    '--runs',
    String(runs),
    '--results',
    results,
    '--threshold',
    '1000%',
    ...more,
  ]);

describe('bisect-check exit codes for git bisect run', () => {
  it('good (0) within the threshold, bad (1) above it, against a folder of runs', async () => {
    const good = await check(same[0]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toMatch(
      /good: local\/shmem\/alloc\/4096\/1 p50 80\dns -> 80\dns: \+0\.\d%: less than the \+5\.0% sought/,
    );
    expect(good.stderr).toMatch(/3 baseline run\(s\), 1 fresh; run-to-run noise 0\.\d%/);
    const bad = await check(slow[0]);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/bad: .* slower by \+(9|10)\.\d% \(p=.* against no change; \+5\.0% sought\)/);
    const lenient = await check(slow[0], '--threshold', '15%');
    expect(lenient.code).toBe(0);
  });

  it('abort (128) when the baseline has fewer than 3 runs: one run cannot show the run-to-run noise', async () => {
    const r = await cli(['bisect-check', '--series', SERIES, '--baseline', base[0], '--fresh', slow[0]]);
    expect(r.code, r.stderr).toBe(128);
    expect(r.stderr).toMatch(
      /abort: --baseline .*: local\/shmem\/alloc\/4096\/1 is ok in 1 run\(s\); bisect-check needs 3 or more/,
    );
  });

  it("judges the runs against their run-to-run noise, not the repetitions': a quiet rerun of a noisy series is never bad", async () => {
    // 10 baseline runs 8% apart from run to run, each run's repetitions 0.3% apart (this machine's shape)
    const r = rng(7);
    const level = Array.from({ length: 12 }, () => 800 * Math.exp(0.08 * gaussian(r)));
    const noisy = join(tmp, 'noisy');
    await writeHistory(noisy, 10, [{ op: 'alloc', granule: 4096, p50: (i: number) => level[i] }]);
    // a rerun of the same kernel 14% above the baseline's level: 1.7 of its run-to-run SDs
    const rerun = await writeHistory(join(tmp, 'rerun'), 1, [{ op: 'alloc', granule: 4096, p50: () => 800 * 1.14 }], {
      start: Date.parse('2026-04-01T00:00:00Z'),
    });
    const one = await cli(['bisect-check', '--series', SERIES, '--baseline', noisy, '--fresh', rerun[0]]);
    expect(one.code, one.stderr).toBe(125);
    expect(one.stderr).toMatch(
      /skip: .* the runs cannot tell a \+5\.0% slow-down from none at p < 0\.01 .*10 baseline run\(s\), 1 fresh; run-to-run noise \d+\.\d%/,
    );
    expect(one.stderr).toMatch(/a larger --threshold|fresh runs would tell \(--runs\)/);
    // sought a 40% slow-down: three fresh runs at +40% are bad, three at the baseline's level good
    const fresh = (name: string, k: number) =>
      writeHistory(
        join(tmp, name),
        3,
        [{ op: 'alloc', granule: 4096, p50: (i: number) => 800 * k * Math.exp(0.08 * [0.5, -0.5, 0][i]) }],
        {
          start: Date.parse('2026-05-01T00:00:00Z'),
        },
      );
    await fresh('slower40', 1.4);
    await fresh('level', 1);
    const sought = ['--series', SERIES, '--baseline', noisy, '--threshold', '40%'];
    const bad = await cli(['bisect-check', ...sought, '--fresh', join(tmp, 'slower40')]);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/10 baseline run\(s\), 3 fresh/);
    const good = await cli(['bisect-check', ...sought, '--fresh', join(tmp, 'level')]);
    expect(good.code, good.stderr).toBe(0);
  });

  it('skip (125) on a p99 whose repetitions are too short to have one (203 samples: p99 is their 3rd largest)', async () => {
    const r = await check(slow[0], '--metric', 'p99');
    expect(r.code, r.stderr).toBe(125);
    expect(r.stderr).toMatch(
      /skip: .* its repetitions have 203 samples, so their p99 is one of their few largest \(a p99 needs 10 samples beyond it\): use p50/,
    );
  });

  it('skip (125) when the baseline spans a change point', async () => {
    const step = join(tmp, 'step');
    await writeHistory(step, 10, [{ op: 'alloc', granule: 4096, p50: (i: number) => (i < 5 ? 800 : 1000) }]);
    const r = await cli(['bisect-check', '--series', SERIES, '--baseline', step, '--fresh', slow[0]]);
    expect(r.code, r.stderr).toBe(125);
    expect(r.stderr).toMatch(/skip: .*the baseline spans a change point/);
  });

  it("relative to each repetition's null syscall (the default): a slow moment of the host is good, a slower op bad; --reference none as measured", async () => {
    // the runs as a probe with the reference writes them: every repetition with its null syscall
    const withRef = async (dir: string, to: string, k: number, ns: number) => {
      const s = await readSummary(dir);
      await writeSummary(to, {
        ...s,
        results: s.results.map((r) => ({
          ...r,
          p50: r.p50 === null ? null : r.p50 * k,
          syscallNs: ns,
          repetitions: r.repetitions.map((x) => ({ ...x, p50: x.p50 * k, syscallNs: ns })),
        })),
      });
      return to;
    };
    const b = join(tmp, 'ref-base');
    for (const d of base) await withRef(d, join(b, basename(d)), 1, 200);
    // the fresh run met a host 30% slower: its null syscall as much as the op
    const moment = await withRef(same[0], join(tmp, 'ref-moment'), 1.3, 260);
    const ok = await cli(['bisect-check', '--series', SERIES, '--baseline', b, '--fresh', moment]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/good: .*relative to the null syscall beside each pass \(200ns typical\)/);
    const raw = await cli([
      'bisect-check',
      '--series',
      SERIES,
      '--baseline',
      b,
      '--fresh',
      moment,
      '--reference',
      'none',
    ]);
    expect(raw.code, raw.stderr).toBe(1);
    // the op itself 10% slower, the kernel entry as before: bad either way
    const slower = await withRef(slow[0], join(tmp, 'ref-slow'), 1, 200);
    const bad = await cli(['bisect-check', '--series', SERIES, '--baseline', b, '--fresh', slower]);
    expect(bad.code, bad.stderr).toBe(1);
    // a fresh run without references (an older probe): as measured, and said
    const old = await cli(['bisect-check', '--series', SERIES, '--baseline', b, '--fresh', slow[0]]);
    expect(old.code, old.stderr).toBe(1);
    expect(old.stderr).toMatch(/as measured \(the fresh run has no null-syscall reference\)/);
  });

  it('skip (125) when the fresh run lacks the series or cannot be made', async () => {
    const missing = await cli([
      'bisect-check',
      '--series',
      'local/shmem/punch/4K/1',
      '--baseline',
      base[0],
      '--fresh',
      slow[0],
    ]);
    expect(missing.code).toBe(128); // not in the baseline either: abort
    const unreadable = await cli([
      'bisect-check',
      '--series',
      SERIES,
      '--baseline',
      join(tmp, 'base'),
      '--fresh',
      join(tmp, 'nope'),
    ]);
    expect(unreadable.code).toBe(125);
    expect(unreadable.stderr).toMatch(/skip: .*cannot measure/);
  });

  it('abort (128) on bad arguments, so git bisect stops instead of marking commits', async () => {
    expect((await cli(['bisect-check', '--baseline', base[0], '--fresh', same[0]])).code).toBe(128);
    const r = await cli(['bisect-check', '--series', 'shmem/alloc', '--baseline', base[0], '--fresh', same[0]]);
    expect(r.code).toBe(128);
    expect(r.stderr).toContain('--series: "shmem/alloc" is not host/path/op/granule/threads');
    expect(
      (await cli(['bisect-check', '--series', SERIES, '--baseline', join(tmp, 'empty-nothing'), '--fresh', same[0]]))
        .code,
    ).toBe(128);
  });

  it.skipIf(!hasCc)('measures the commit --runs times, each a separate run of only the series workload', async () => {
    const results = join(tmp, 'measured');
    const r = await measureAgainst(join(tmp, 'base'), results, 2);
    expect([0, 1, 125], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/3 baseline run\(s\), 2 fresh/);
    const runs = await listRuns(results);
    expect(runs).toHaveLength(2);
    for (const d of runs) {
      const s = await readSummary(d);
      expect(s.measurement).toEqual({ processes: 3, pin: 'auto', settle: false });
      expect(s.results.filter((x) => !isReference(x)).map((x) => `${x.path}/${x.op}/${x.granule}`)).toEqual([
        'shmem/alloc/4096',
      ]);
    }
  });

  it.skipIf(!hasCc)(
    'measures as the baseline did, unless an option says otherwise, and says when the two differ',
    async () => {
      const old = join(tmp, 'base-1-none');
      for (const d of base) {
        const s = await readSummary(d);
        await writeSummary(join(old, basename(d)), { ...s, measurement: { processes: 1, pin: 'none', settle: false } });
      }
      const measure = async (name: string, ...more: string[]) => {
        const results = join(tmp, name);
        const r = await measureAgainst(old, results, 1, ...more);
        const [d] = await listRuns(results);
        return { r, measurement: (await readSummary(d)).measurement };
      };
      const like = await measure('like-baseline');
      expect(like.measurement).toEqual({ processes: 1, pin: 'none', settle: false });
      expect(like.r.stderr).not.toMatch(/measured with/);
      const pinned = await measure('pinned', '--pin', 'auto');
      expect(pinned.measurement).toEqual({ processes: 1, pin: 'auto', settle: false });
      expect(pinned.r.stderr).toMatch(
        /; the fresh runs measured with 1 process, pin auto, the baseline with 1 process, pin none/,
      );
    },
  );

  it('verdict rules: two one-sided t tests on the run figures, each side needs evidence', () => {
    const o = { threshold: 0.05, maxPValue: 0.01 };
    expect(bisectVerdict([100, 101, 99], [110], o).verdict).toBe('bad');
    expect(bisectVerdict([100, 101, 99], [80, 81, 80], o).verdict).toBe('good'); // faster
    expect(bisectVerdict([100, 101, 99, 100, 100.5], [100.2, 99.8, 100.4], o).verdict).toBe('good');
    // 30% run-to-run noise: neither no change nor +5% can be told
    const noisy = bisectVerdict([100, 130, 70], [110], o);
    expect(noisy.verdict).toBe('skip');
    expect(noisy.reason).toMatch(/the runs cannot tell a \+5\.0% slow-down from none/);
    // one baseline run, or none fresh: skip, never good or bad from one figure a side
    expect(bisectVerdict([100], [106], o).reason).toMatch(
      /1 baseline run\(s\): their run-to-run noise needs 3 or more/,
    );
    expect(bisectVerdict([100, 101, 99], [], o).verdict).toBe('skip');
    // a series whose three runs happened to be alike is raised toward the host's typical noise
    const raised = bisectVerdict([100, 100.1, 99.9], [108], { ...o, prior: 0.08 });
    expect(raised.verdict).toBe('skip');
    expect(raised.reason).toMatch(/run-to-run noise \d\.\d% \(raised from 0\.1% toward the host's typical series\)/);
    expect(bisectVerdict([100, 100.1, 99.9], [108], o).verdict).toBe('bad');
  });

  it('narrows a suite to the one workload of the series', async () => {
    const suite = await loadSuite(resolve(ROOT, 'suites/smoke.yaml'));
    const one = restrictSuite(suite, parseSeriesKey('local/gmem/punch/2M/1'));
    expect(one.workloads).toHaveLength(1);
    expect(one.workloads[0]).toMatchObject({
      paths: ['gmem'],
      ops: ['punch'],
      granules: [2 << 20],
      threads: [1],
      region: 64 << 20,
    });
    expect(() => restrictSuite(suite, parseSeriesKey('local/gmem/punch/2M/4'))).toThrow(
      /no workload measures gmem\/punch at granule 2097152 with 4 thread/,
    );
  });
});
