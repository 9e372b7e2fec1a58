/** HTML tables for the report page: host fingerprints, a run's rows, a comparison. */
import type { Comparison } from '../analysis/compare.js';
import { cvText, legend, markOf, notComparedLabel } from '../export/compare-cells.js';
import { formatChange } from '../analysis/change.js';
import type { HostEntry, RunSummary } from '../results/schema.js';
import { formatNs, formatSize } from '../util/units.js';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function table(head: string[], rows: string[][], numeric: Set<number> = new Set(), cls = ''): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function gib(bytes: number | null | undefined): string {
  return typeof bytes === 'number' ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : '-';
}

/** One column per host: what the probe's fingerprint says about it. */
export function fingerprintTable(hosts: HostEntry[]): string {
  const f = (h: HostEntry) => h.fingerprint;
  const fields: [string, (h: HostEntry) => string][] = [
    ['status', (h) => `${h.status}${h.subStatus ? ` (${h.subStatus})` : ''}${h.error ? `: ${h.error}` : ''}`],
    ['labels', (h) => Object.entries(h.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['kernel', (h) => f(h)?.kernel?.release ?? '-'],
    ['kernel version', (h) => f(h)?.kernel?.version ?? '-'],
    ['machine', (h) => f(h)?.kernel?.machine ?? '-'],
    ['cpu', (h) => (f(h)?.cpu ? `${f(h)!.cpu.model}, ${f(h)!.cpu.cores} cores` : '-')],
    ['microcode', (h) => f(h)?.cpu?.microcode ?? '-'],
    ['memory', (h) => (f(h)?.memory ? `${gib(f(h)!.memory.totalBytes)} (page ${formatSize(f(h)!.memory.pageSize)})` : '-')],
    ['NUMA nodes', (h) => String(f(h)?.numa?.nodes ?? '-')],
    ['THP', (h) => (f(h)?.thp ? `enabled ${f(h)!.thp.enabled ?? '-'}, shmem ${f(h)!.thp.shmemEnabled ?? '-'}` : '-')],
    ['hugetlb', (h) => (f(h)?.hugetlb ? `${f(h)!.hugetlb.defaultSize ? formatSize(f(h)!.hugetlb.defaultSize!) : '-'}: ${f(h)!.hugetlb.free}/${f(h)!.hugetlb.total} free` : '-')],
    ['secretmem', (h) => (f(h)?.secretmem ? (f(h)!.secretmem.available ? 'available' : `no: ${f(h)!.secretmem.reason ?? ''}`) : '-')],
    ['KVM', (h) => (f(h)?.kvm ? (f(h)!.kvm.present ? `API ${f(h)!.kvm.apiVersion ?? '?'}` : `no: ${f(h)!.kvm.reason ?? ''}`) : '-')],
    ['guest_memfd', (h) => {
      const c = f(h)?.kvm?.caps;
      return c ? (c.guestMemfd ? `yes, flags: ${c.guestMemfdFlagNames.join(', ') || 'none'}` : 'no') : '-';
    }],
    ['VM types', (h) => f(h)?.kvm?.caps?.vmTypeNames?.join(', ') || '-'],
    ['KVM params', (h) => Object.entries(f(h)?.kvm?.params ?? {}).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
  ];
  return table(['', ...hosts.map((h) => h.name)], fields.map(([name, get]) => [`<b>${esc(name)}</b>`, ...hosts.map((h) => esc(get(h)))]), new Set(), 'fingerprint');
}

/** Every row of a run, measured or not. */
export function resultsTable(run: RunSummary): string {
  const head = ['host', 'path', 'op', 'granule', 'threads', 'status', 'calls', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'reason'];
  const rows = run.results.map((r) => [
    r.host, r.path, r.op, formatSize(r.granule), String(r.threads), r.status, String(r.samples ?? 0),
    formatNs(r.p50), formatNs(r.p90), formatNs(r.p99), formatNs(r.p999), formatNs(r.max), formatNs(r.mean), r.reason ?? '',
  ].map(esc));
  return table(head, rows, new Set([3, 4, 6, 7, 8, 9, 10, 11, 12]), 'results');
}

/** A comparison as an HTML table, marks coloured, then what could not be compared. */
export function comparisonTable(c: Comparison): string {
  const runs = c.mode === 'runs';
  const head = ['host', ...(runs ? ['path'] : []), 'op', 'granule', 'threads', 'metric',
    runs ? 'baseline' : c.baseline.label, runs ? 'candidate' : c.candidate.label, 'change', '', '95% interval', 'p', 'cv b', 'cv c'];
  const rows: string[][] = [];
  for (const r of c.rows) {
    for (const m of r.metrics) {
      const dir = m.mark === 'significant' ? (m.changePct < 0 ? 'better' : 'worse') : m.mark === 'noisy' ? 'noisy' : '';
      rows.push([
        esc(r.host), ...(runs ? [esc(r.path)] : []), esc(r.op), esc(formatSize(r.granule)), esc(r.threads), esc(m.metric),
        esc(formatNs(m.baseline)), esc(formatNs(m.candidate)),
        `<span class="${dir}">${esc(formatChange(m.changePct))}</span>`, `<span class="${dir}">${esc(markOf(m))}</span>`,
        m.ci ? esc(`${formatChange(m.ci.lo)} .. ${formatChange(m.ci.hi)}`) : '-', esc(m.pValue.toPrecision(2)),
        esc(cvText(m.cvBaseline)), esc(cvText(m.cvCandidate)),
      ]);
    }
  }
  const off = runs ? 1 : 0;
  const numeric = new Set([3 + off, 4 + off, 6 + off, 7 + off, 8 + off, 10 + off, 11 + off, 12 + off, 13 + off]);
  const parts = [table(head, rows, numeric, 'comparison')];
  for (const s of c.summary) {
    if (s.count > 0) {
      parts.push(`<p class="summary">geomean ${esc(s.metric)}: candidate/baseline <b>${s.geomeanRatio.toFixed(3)}</b> (${esc(formatChange(s.changePct))}) over ${s.count} rows: ${s.better} faster *, ${s.worse} slower *, ${s.noisy} noisy ~</p>`);
    }
  }
  parts.push(`<ul class="legend">${legend(c).map((l) => `<li>${esc(l)}</li>`).join('')}${c.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul>`);
  if (c.notCompared.length > 0) {
    parts.push(`<details><summary>not compared (${c.notCompared.length})</summary><ul>${c.notCompared.map((n) => `<li>${esc(notComparedLabel(n, true))}: ${esc(n.reason)}</li>`).join('')}</ul></details>`);
  }
  return parts.join('\n');
}
