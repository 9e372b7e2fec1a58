/** The run table printed at the end of `gmembench run`. */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { formatNs, formatSize } from '../util/units.js';
import { formatColumns } from './columns.js';
import { rowNote } from './notes.js';
import { hostFailureText } from './host-failure.js';

export function formatRunTable(summary: RunSummary): string {
  const out: string[] = [];
  // shmem and guest_memfd side by side: host, op, granule, threads, then path
  const order = (r: ResultRow) => [r.host, r.op, String(r.granule).padStart(16, '0'), String(r.threads).padStart(6, '0'), r.path].join('\0');
  const measured = summary.results.filter((r) => r.status === 'ok').sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const rows = measured.map((r) => [
    r.host, r.path, r.op, formatSize(r.granule), String(r.threads), String(r.samples),
    formatNs(r.p50), formatNs(r.p90), formatNs(r.p99), formatNs(r.max),
    r.mean !== null && r.mean > 0 && r.stddev !== null ? `${formatNs(r.mean)} ±${Math.round((100 * r.stddev) / r.mean)}%` : '-',
  ]);
  out.push(
    formatColumns(
      [
        { header: 'host' }, { header: 'path' }, { header: 'op' }, { header: 'granule', align: 'right' },
        { header: 'thr', align: 'right' }, { header: 'samples', align: 'right' }, { header: 'p50', align: 'right' },
        { header: 'p90', align: 'right' }, { header: 'p99', align: 'right' }, { header: 'max', align: 'right' },
        { header: 'mean ±sd', align: 'right' },
      ],
      rows,
    ),
  );
  // rows that share a note (e.g. every conversion row of a host) are listed once
  const groups = new Map<string, ResultRow[]>();
  for (const r of measured) {
    const n = rowNote(r);
    if (n !== null) groups.set(`${r.host}\0${n}`, [...(groups.get(`${r.host}\0${n}`) ?? []), r]);
  }
  if (groups.size > 0) {
    const uniq = <T,>(xs: T[]) => [...new Set(xs)].join(', ');
    out.push('');
    out.push(
      formatColumns(
        [{ header: 'host' }, { header: 'path' }, { header: 'op' }, { header: 'granule' }, { header: 'note' }],
        [...groups].map(([key, rows]) => [
          rows[0].host, uniq(rows.map((r) => r.path)), uniq(rows.map((r) => r.op)),
          uniq(rows.map((r) => formatSize(r.granule))), key.split('\0')[1],
        ]),
      ),
    );
  }
  const notMeasured = summary.results.filter((r) => r.status !== 'ok');
  if (notMeasured.length > 0) {
    out.push('');
    out.push(
      formatColumns(
        [{ header: 'host' }, { header: 'path' }, { header: 'op' }, { header: 'granule', align: 'right' }, { header: 'thr', align: 'right' }, { header: 'status' }, { header: 'reason' }],
        notMeasured.map((r) => [
          r.host, r.path, r.op, formatSize(r.granule), String(r.threads), r.status,
          `${r.reason ?? ''}${r.errnoName ? ` (${r.errnoName})` : ''}`,
        ]),
      ),
    );
  }
  const failedHosts = summary.hosts.filter((h) => h.status !== 'ok');
  for (const h of failedHosts) out.push(`\nhost ${h.name}: ${hostFailureText(h)}`);
  return out.join('\n');
}
