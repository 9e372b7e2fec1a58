/**
 * The run table printed at the end of `gmembench run`: one row per host, op, granule and threads,
 * the paths side by side (p50 and p99 each) and guest_memfd / shmem. It fits a width (the
 * terminal's); the notes and reasons wrap, and summary.json keeps every figure in full.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { formatNs, formatSize } from '../util/units.js';
import { fitColumns, wrapText, type Column } from './columns.js';
import { rowNote } from './notes.js';
import { referenceTimes } from '../system/reference-spread.js';
import { hostFailureText } from './host-failure.js';
import { EMULATED_WHY, emulatedHosts } from '../lab/emulation.js';
import { WALL_LEGEND } from '../analysis/change.js';

export interface RunTableOptions {
  /** fit this many columns (run passes the terminal's, see outputWidth); default: no limit */
  width?: number;
  /** every column: p90, max, spread and calls per path as well */
  wide?: boolean;
}

const PATH_ORDER = ['shmem', 'gmem', 'hugetlb', 'secretmem'];
const pathRank = (p: string) => (PATH_ORDER.includes(p) ? PATH_ORDER.indexOf(p) : PATH_ORDER.length);

/** the spread of the calls as a time (the standard deviation), never as a percentage of a tiny mean */
function spread(r: ResultRow): string {
  return r.stddev !== null && Number.isFinite(r.stddev) ? formatNs(r.stddev) : '-';
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}

/** "- text" wrapped to the width, continuation lines indented */
function hanging(text: string, width: number): string[] {
  const lines = wrapText(text, Number.isFinite(width) ? width - 4 : Infinity);
  return lines.map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`));
}

const seriesOf = (r: ResultRow) => `${r.host}\0${r.op}\0${r.granule}\0${r.threads}`;

/**
 * The null syscall timed beside the passes (probe/ref.c), per host: what entering the kernel cost
 * while the rows were measured, and how far it moved (compare, report and bisect-check scale each
 * row by its own).
 */
function syscallLine(rows: ResultRow[], multiHost: boolean, width: number): string[] {
  const out: string[] = [];
  for (const host of new Set(rows.map((r) => r.host))) {
    const sorted = referenceTimes(rows.filter((r) => r.host === host));
    if (sorted.length === 0) continue;
    out.push(
      ...wrapText(
        `${multiHost ? `${host}: ` : ''}null syscall beside the passes: median ${formatNs(sorted[sorted.length >> 1])}, ` +
          `${formatNs(sorted[0])} to ${formatNs(sorted.at(-1))} over ${sorted.length} passes (compare, report and bisect-check scale each row by its own)`,
        width,
      ),
    );
  }
  return out;
}

export function formatRunTable(summary: RunSummary, opts: RunTableOptions = {}): string {
  const width = opts.wide ? Infinity : (opts.width ?? Infinity);
  const out: string[] = [];
  const measured = summary.results.filter((r) => r.status === 'ok');
  const multiHost = new Set(summary.results.map((r) => r.host)).size > 1;
  const paths = [...new Set(measured.map((r) => r.path))].sort((a, b) => pathRank(a) - pathRank(b) || (a < b ? -1 : 1));
  // rows in the order they ran (the suite's order), one per series
  const series = new Map<string, Map<string, ResultRow>>();
  for (const r of measured) {
    const k = seriesOf(r);
    if (!series.has(k)) series.set(k, new Map());
    series.get(k)!.set(r.path, r);
  }
  const hiddenNote: string[] = [];
  const emulated = emulatedHosts(summary);
  if (series.size > 0) {
    const withRatio = paths.includes('shmem') && paths.includes('gmem');
    const main = (p: string) => p === 'shmem' || p === 'gmem';
    const withWall = measured.some((r) => r.wall !== undefined);
    const cols: Column[] = [
      ...(multiHost ? [{ header: 'host' }] : []),
      { header: 'op' },
      { header: 'granule', align: 'right' },
      { header: 'thr', align: 'right' },
      ...(withRatio ? [{ header: 'gmem/shmem', align: 'right' as const, group: 'p50' }] : []),
    ];
    for (const p of paths) {
      const pr = main(p) ? 0 : -10 * pathRank(p);
      cols.push({ header: 'p50', align: 'right', group: p, priority: main(p) ? undefined : pr - 1 });
      cols.push({ header: 'p99', align: 'right', group: p, priority: pr - 3 });
      if (withWall) cols.push({ header: 'wall', align: 'right', group: p, priority: pr - 4 });
      if (opts.wide) {
        cols.push({ header: 'p90', align: 'right', group: p }, { header: 'max', align: 'right', group: p });
        cols.push({ header: 'sd', align: 'right', group: p }, { header: 'calls', align: 'right', group: p });
      }
    }
    const rows = [...series.values()].map((byPath) => {
      const any = [...byPath.values()][0];
      const cells = [
        ...(multiHost ? [emulated.has(any.host) ? `${any.host} (tcg)` : any.host] : []),
        any.op,
        formatSize(any.granule),
        String(any.threads),
        ...(withRatio ? [ratio(byPath.get('gmem')?.p50, byPath.get('shmem')?.p50)] : []),
      ];
      for (const p of paths) {
        const r = byPath.get(p);
        cells.push(formatNs(r?.p50), formatNs(r?.p99));
        if (withWall) cells.push(formatNs(r?.wall));
        if (opts.wide) cells.push(formatNs(r?.p90), formatNs(r?.max), r ? spread(r) : '-', r ? String(r.samples) : '-');
      }
      return cells;
    });
    const t = fitColumns(cols, rows, { width });
    out.push(t.text);
    if (t.hidden.length > 0)
      hiddenNote.push(
        `${t.hidden.length} column(s) left out to fit ${width} columns (${t.hidden.join(', ')}); --wide shows every column`,
      );
    if (withRatio) {
      const paired = summary.results.some((r) => r.path === 'gmem' && r.pairedWith === 'shmem');
      out.push(
        ...wrapText(
          `gmem/shmem: guest_memfd p50 / shmem p50 of the same series (below 1x: guest_memfd faster)${paired ? '; both paths timed in the same probe processes (--pair)' : ''}`,
          width,
        ),
      );
    }
    const wallShown = withWall && t.hidden.filter((h) => h.endsWith(' wall')).length < paths.length;
    if (wallShown) out.push(...wrapText(WALL_LEGEND, width));
    if (opts.wide) out.push('sd: standard deviation of the calls');
    out.push(...syscallLine(measured, multiHost, width));
  }
  for (const h of emulated) {
    out.push(
      ...hanging(
        `${multiHost ? `${h} (tcg)` : h}: ${EMULATED_WHY}; its rows are kept out of regress and InfluxDB unless --allow-emulated`,
        width,
      ).map((l) => l.slice(2)),
    );
  }
  // rows that share a note (e.g. every conversion row of a host) are listed once
  const groups = new Map<string, ResultRow[]>();
  for (const r of measured) {
    const n = rowNote(r);
    if (n !== null) groups.set(`${r.host}\0${n}`, [...(groups.get(`${r.host}\0${n}`) ?? []), r]);
  }
  const uniq = <T>(xs: T[]) => [...new Set(xs)].join(', ');
  const subject = (rows: ResultRow[]) =>
    `${multiHost ? `${rows[0].host} ` : ''}${uniq(rows.map((r) => r.path))} ${uniq(rows.map((r) => r.op))} ${uniq(rows.map((r) => formatSize(r.granule)))}`;
  if (groups.size > 0) {
    out.push('', 'notes:');
    for (const [key, rows] of groups) out.push(...hanging(`${subject(rows)}: ${key.split('\0')[1]}`, width));
  }
  const notMeasured = summary.results.filter((r) => r.status !== 'ok');
  if (notMeasured.length > 0) {
    // one entry per reason: the paths, ops and granules it stopped
    const byReason = new Map<string, ResultRow[]>();
    for (const r of notMeasured) {
      const k = `${r.host}\0${r.status}\0${r.reason ?? ''}${r.errnoName && !(r.reason ?? '').includes(r.errnoName) ? ` (${r.errnoName})` : ''}`;
      byReason.set(k, [...(byReason.get(k) ?? []), r]);
    }
    out.push('', 'not measured:');
    for (const [key, rows] of byReason) {
      const [, status, why] = key.split('\0');
      out.push(...hanging(`${subject(rows)} ${status}: ${why}`, width));
    }
  }
  const failedHosts = summary.hosts.filter((h) => h.status !== 'ok');
  for (const h of failedHosts) out.push('', ...wrapText(`host ${h.name}: ${hostFailureText(h)}`, width));
  if (hiddenNote.length) out.push('', ...hiddenNote.flatMap((n) => wrapText(n, width)));
  return out.join('\n');
}
