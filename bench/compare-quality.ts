/**
 * How often `compare` marks a row between quiet runs, on REAL separate runs recorded on this
 * machine (COMPARE_RUNS, default ~/.cache/gmembench/regress-quality/smoke: smoke-suite run
 * directories, one `gmembench run` each; bench/record-history.sh records them):
 * 1. consecutive blocks of 5 runs, every pair of disjoint blocks compared (5 vs 5), without and
 *    with the other blocks as history;
 * 2. random disjoint 5 vs 5 splits (fixed seed);
 * 3. one run a side, and two, the other runs as --history (random draws: verdicts on the history
 *    alone, each table held to alpha over its rows);
 * 4. power: the candidate group of each random split made 5%, 10%, 15% slower on every row.
 * Target: two groups of 5 quiet runs mark no row. COMPARE_REFERENCE=auto|syscall|none scales the rows
 * by the null syscall beside their passes as compare --reference does (analysis/reference.ts); by
 * default as compare's default (auto).  The rows are scaled once over all the runs, as one side.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareSides, type History } from '../src/analysis/compare-runs.js';
import { withWall, type Comparison } from '../src/analysis/compare.js';
import { historyRunFromSummary } from '../src/analysis/series.js';
import {
  DEFAULT_REFERENCE,
  describeReference,
  REFERENCE_MODES,
  summariesPerSyscall,
  type ReferenceMode,
} from '../src/analysis/reference.js';
import { listRuns, readSummary } from '../src/results/store.js';
import type { RunSummary } from '../src/results/schema.js';
import { rng } from '../test/helpers/synthetic.js';
import { pick, slower } from './real-runs.js';

const SPLITS = Number(process.env.COMPARE_SPLITS ?? 30);
const PAIRS = Number(process.env.COMPARE_PAIRS ?? 30);

interface Tally {
  comparisons: number;
  rows: number;
  marked: number;
  slower: number;
  noisy: number;
  withMark: number;
}

function tally(cs: Comparison[]): Tally {
  const t: Tally = { comparisons: cs.length, rows: 0, marked: 0, slower: 0, noisy: 0, withMark: 0 };
  for (const c of cs) {
    const ms = c.rows.flatMap((r) => r.metrics);
    t.rows += ms.length;
    const marked = ms.filter((m) => m.mark === 'significant');
    t.marked += marked.length;
    t.slower += marked.filter((m) => m.changePct > 0).length;
    t.noisy += ms.filter((m) => m.mark === 'noisy').length;
    if (marked.length) t.withMark++;
  }
  return t;
}

function line(label: string, t: Tally): string {
  return (
    `${label}: ${t.marked} rows marked * (${t.slower} slower) of ${t.rows} compared rows over ${t.comparisons} comparisons ` +
    `(${t.withMark} comparisons with a mark; ${t.noisy} rows ~)\n`
  );
}

export async function run(): Promise<void> {
  const dir = process.env.COMPARE_RUNS ?? join(homedir(), '.cache/gmembench/regress-quality/smoke');
  const dirs = await listRuns(resolve(dir));
  if (dirs.length < 10) {
    process.stdout.write(
      `compare-quality: skipped: ${dir} holds ${dirs.length} runs, 10 or more needed (record them with bench/record-history.sh)\n`,
    );
    return;
  }
  const measured = (await Promise.all(dirs.map((d) => readSummary(d)))).sort(
    (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt),
  );
  const mode = (process.env.COMPARE_REFERENCE ?? DEFAULT_REFERENCE) as ReferenceMode;
  if (!REFERENCE_MODES.includes(mode))
    throw new Error(`COMPARE_REFERENCE=${mode}: one of ${REFERENCE_MODES.join(', ')}`);
  const reference = mode === 'none' ? undefined : summariesPerSyscall([measured], mode);
  const runs = reference?.sides[0] ?? measured;
  process.stdout.write(
    `${runs.length} real runs of suite ${runs[0].suite?.name} from ${dir} (${runs[0].startedAt} .. ${runs.at(-1)!.startedAt})\n` +
      (reference
        ? `${describeReference(reference)} (COMPARE_REFERENCE=${mode})\n`
        : 'as measured (COMPARE_REFERENCE=none)\n'),
  );

  // as the CLI compares: p50, and wall where the rows have it (alloc, fault, punch at 2+ threads)
  const metrics = withWall(['p50'], runs);
  const judge = (b: RunSummary[], c: RunSummary[], history?: History) => compareSides(b, c, { metrics }, history);

  // 1. consecutive blocks of 5
  const blocks: RunSummary[][] = [];
  for (let i = 0; i + 5 <= runs.length; i += 5) blocks.push(runs.slice(i, i + 5));
  const blockCs: Comparison[] = [];
  for (let i = 0; i < blocks.length; i++)
    for (let j = i + 1; j < blocks.length; j++) blockCs.push(judge(blocks[i], blocks[j]));
  const tb = tally(blockCs);
  process.stdout.write(line(`5 vs 5, consecutive blocks (${blocks.length} blocks, every pair)`, tb));
  const withHistory: Comparison[] = [];
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const others = blocks.flatMap((b, k) => (k === i || k === j ? [] : b)).map(historyRunFromSummary);
      withHistory.push(judge(blocks[i], blocks[j], { runs: others, source: 'the other blocks' }));
    }
  }
  process.stdout.write(line('5 vs 5, the same blocks with the other blocks as --history', tally(withHistory)));

  // 2. random disjoint splits
  const r = rng(11);
  const splits: [RunSummary[], RunSummary[]][] = [];
  for (let s = 0; s < SPLITS; s++) {
    const idx = pick(runs.length, 10, r);
    splits.push([idx.slice(0, 5).map((i) => runs[i]), idx.slice(5).map((i) => runs[i])]);
  }
  const tr = tally(splits.map(([b, c]) => judge(b, c)));
  process.stdout.write(line(`5 vs 5, random disjoint splits (${SPLITS})`, tr));

  // 3. one run a side with the rest as history
  const pairs: Comparison[] = [];
  for (let s = 0; s < PAIRS; s++) {
    const [i, j] = pick(runs.length, 2, r);
    const history = runs.filter((_, k) => k !== i && k !== j).map(historyRunFromSummary);
    pairs.push(judge([runs[i]], [runs[j]], { runs: history, source: dir }));
  }
  process.stdout.write(
    line(`1 vs 1 with the other ${runs.length - 2} runs as history (${PAIRS} random pairs)`, tally(pairs)),
  );
  const twos: Comparison[] = [];
  for (let s = 0; s < PAIRS; s++) {
    const idx = pick(runs.length, 4, r);
    const history = runs.filter((_, k) => !idx.includes(k)).map(historyRunFromSummary);
    twos.push(judge([runs[idx[0]], runs[idx[1]]], [runs[idx[2]], runs[idx[3]]], { runs: history, source: dir }));
  }
  process.stdout.write(
    line(`2 vs 2 with the other ${runs.length - 4} runs as history (${PAIRS} random draws)`, tally(twos)),
  );
  const none = tally(Array.from({ length: 10 }, (_, s) => judge([runs[s]], [runs[s + 1]])));
  process.stdout.write(line('1 vs 1 without history (10 neighbouring pairs; never marked by design)', none));

  // 4. power on the random splits, without and with the runs outside the split as history
  const rest = (b: RunSummary[], c: RunSummary[]) => ({
    runs: runs.filter((x) => !b.includes(x) && !c.includes(x)).map(historyRunFromSummary),
    source: 'the other runs',
  });
  for (const step of [1.05, 1.1, 1.15]) {
    const t = tally(
      splits.map(([b, c]) =>
        judge(
          b,
          c.map((x) => slower(x, step)),
        ),
      ),
    );
    const h = tally(
      splits.map(([b, c]) =>
        judge(
          b,
          c.map((x) => slower(x, step)),
          rest(b, c),
        ),
      ),
    );
    const share = (x: Tally) =>
      `${x.slower} of ${x.rows} rows marked slower (${((100 * x.slower) / Math.max(1, x.rows)).toFixed(1)}%)`;
    process.stdout.write(
      `5 vs 5 with every candidate row +${Math.round((step - 1) * 100)}%: ${share(t)}; with the other ${runs.length - 10} runs as history ${share(h)}\n`,
    );
  }
  const quiet = tb.marked + tr.marked;
  const th = tally(withHistory).marked;
  process.stdout.write(
    `target: two groups of 5 quiet runs mark no row: without history ${quiet === 0 ? 'met' : `not met (${quiet} rows marked)`}; ` +
      `with a history ${th === 0 ? 'met' : `not met (${th} rows marked)`}\n`,
  );
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) await run();
