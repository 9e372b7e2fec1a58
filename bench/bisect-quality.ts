/**
 * How often bisect-check says good, bad or skip on REAL separate runs recorded on this machine
 * (COMPARE_RUNS, as compare-quality: one `gmembench run` each; bench/record-history.sh records them):
 * draws of 3 consecutive runs as the fresh commit (measured back to back, as bisect-check measures
 * them) and 10 of the other runs as the baseline (fixed seed), every ok series of
 * the local host judged at --threshold 5% (the default), 10%, 20% and 40%:
 * 1. quiet: the fresh runs as measured (no change): a "bad" is a false step of the bisection;
 * 2. slowed: the fresh runs' op latencies times (1 + threshold) (the null syscall beside them as it
 *    was): a "good" is a missed regression.
 * Skip (125) is the honest answer where the runs cannot tell; the share of skips is the price.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { baselineRuns, bisectCheck } from '../src/analysis/bisect-runs.js';
import { MIN_BASELINE_RUNS } from '../src/analysis/bisect.js';
import { isReference } from '../src/analysis/reference.js';
import { listRuns, readSummary } from '../src/results/store.js';
import { seriesKey } from '../src/results/schema.js';
import { rng } from '../test/helpers/synthetic.js';
import { pick, slower } from './real-runs.js';

const DRAWS = Number(process.env.BISECT_DRAWS ?? 40);
const BASELINE = 10;
const FRESH = 3;
const THRESHOLDS = [0.05, 0.1, 0.2, 0.4];

type Count = Record<'good' | 'bad' | 'skip', number>;
const pct = (c: Count, k: keyof Count) => `${((100 * c[k]) / Math.max(1, c.good + c.bad + c.skip)).toFixed(1)}%`;
const describe = (c: Count) => `good ${pct(c, 'good')}, skip ${pct(c, 'skip')}, bad ${pct(c, 'bad')}`;

export async function run(): Promise<void> {
  const dir = process.env.COMPARE_RUNS ?? join(homedir(), '.cache/gmembench/regress-quality/smoke');
  const dirs = await listRuns(resolve(dir));
  if (dirs.length < BASELINE + FRESH) {
    process.stdout.write(
      `bisect-quality: skipped: ${dir} holds ${dirs.length} runs, ${BASELINE + FRESH} or more needed (record them with bench/record-history.sh)\n`,
    );
    return;
  }
  const runs = (await Promise.all(dirs.map((d) => readSummary(d)))).sort(
    (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt),
  );
  const keys = [
    ...new Set(runs.flatMap((s) => s.results.filter((r) => r.status === 'ok' && !isReference(r)).map(seriesKey))),
  ].filter((k) => k.startsWith('local/'));
  process.stdout.write(
    `${runs.length} real runs of suite ${runs[0].suite?.name} from ${dir}; ${keys.length} series; ${DRAWS} draws of ${BASELINE} baseline and ${FRESH} fresh runs; p50, --reference auto, --max-pvalue 0.01\n`,
  );
  const r = rng(23);
  const quiet = new Map(THRESHOLDS.map((t) => [t, { good: 0, bad: 0, skip: 0 } as Count]));
  const slowed = new Map(THRESHOLDS.map((t) => [t, { good: 0, bad: 0, skip: 0 } as Count]));
  for (let d = 0; d < DRAWS; d++) {
    // the fresh runs back to back, as bisect-check measures them; the baseline drawn from the rest
    const at = Math.floor(r() * (runs.length - FRESH + 1));
    const fresh = runs.slice(at, at + FRESH);
    const others = runs.filter((_, i) => i < at || i >= at + FRESH);
    const base = pick(others.length, BASELINE, r).map((i) => others[i]);
    for (const key of keys) {
      const b = baselineRuns(base, key, 'local', 'p50', 'auto');
      if (b.measured.length < MIN_BASELINE_RUNS) continue;
      for (const t of THRESHOLDS) {
        const o = { threshold: t, maxPValue: 0.01 };
        quiet.get(t)![bisectCheck(b, fresh, key, 'p50', o).verdict]++;
        const f = fresh.map((s) => slower(s, 1 + t));
        slowed.get(t)![bisectCheck(b, f, key, 'p50', o).verdict]++;
      }
    }
  }
  for (const t of THRESHOLDS) {
    const q = quiet.get(t)!;
    const s = slowed.get(t)!;
    process.stdout.write(
      `--threshold ${t * 100}%: no change: ${describe(q)} (${q.bad} false bad of ${q.good + q.bad + q.skip}); ` +
        `slower by ${t * 100}%: ${describe(s)} (${s.good} missed)\n`,
    );
  }
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) await run();
