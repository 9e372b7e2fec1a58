/** HTML tables for the report page: host fingerprints, a run's rows, a comparison. */
import { granuleCells } from '../results/series-label.js';
import type { Comparison, MetricComparison } from '../analysis/compare.js';
import { cvText, legend, markOf, notComparedLabel } from '../export/compare-cells.js';
import { formatChange } from '../analysis/change.js';
import type { HostEntry, RunSummary } from '../results/schema.js';
import { formatNs, formatSize } from '../util/units.js';

export function esc(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** `nowrap`: columns never broken across lines (op names: to-private, guest-refault) */
function table(
  head: string[],
  rows: string[][],
  numeric: Set<number> = new Set(),
  cls = '',
  nowrap: Set<number> = new Set(),
): string {
  const klass = (i: number) => {
    const k = [numeric.has(i) ? 'num' : '', nowrap.has(i) ? 'key' : ''].filter(Boolean).join(' ');
    return k ? ` class="${k}"` : '';
  };
  const th = head.map((h, i) => `<th${klass(i)}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${klass(i)}>${c}</td>`).join('')}</tr>`).join('\n');
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
    [
      'labels',
      (h) =>
        Object.entries(h.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '-',
    ],
    ['kernel', (h) => f(h)?.kernel?.release ?? '-'],
    ['kernel version', (h) => f(h)?.kernel?.version ?? '-'],
    ['machine', (h) => f(h)?.kernel?.machine ?? '-'],
    ['cpu', (h) => (f(h)?.cpu ? `${f(h)!.cpu.model}, ${f(h)!.cpu.cores} cores` : '-')],
    ['microcode', (h) => f(h)?.cpu?.microcode ?? '-'],
    [
      'memory',
      (h) => (f(h)?.memory ? `${gib(f(h)!.memory.totalBytes)} (page ${formatSize(f(h)!.memory.pageSize)})` : '-'),
    ],
    ['NUMA nodes', (h) => String(f(h)?.numa?.nodes ?? '-')],
    ['THP', (h) => (f(h)?.thp ? `enabled ${f(h)!.thp.enabled ?? '-'}, shmem ${f(h)!.thp.shmemEnabled ?? '-'}` : '-')],
    [
      'hugetlb',
      (h) =>
        f(h)?.hugetlb
          ? `${f(h)!.hugetlb.defaultSize ? formatSize(f(h)!.hugetlb.defaultSize!) : '-'}: ${f(h)!.hugetlb.free}/${f(h)!.hugetlb.total} free`
          : '-',
    ],
    [
      'secretmem',
      (h) =>
        f(h)?.secretmem ? (f(h)!.secretmem.available ? 'available' : `no: ${f(h)!.secretmem.reason ?? ''}`) : '-',
    ],
    [
      'KVM',
      (h) =>
        f(h)?.kvm ? (f(h)!.kvm.present ? `API ${f(h)!.kvm.apiVersion ?? '?'}` : `no: ${f(h)!.kvm.reason ?? ''}`) : '-',
    ],
    [
      'guest_memfd',
      (h) => {
        const c = f(h)?.kvm?.caps;
        return c ? (c.guestMemfd ? `yes, flags: ${c.guestMemfdFlagNames.join(', ') || 'none'}` : 'no') : '-';
      },
    ],
    ['VM types', (h) => f(h)?.kvm?.caps?.vmTypeNames?.join(', ') || '-'],
    [
      'KVM params',
      (h) =>
        Object.entries(f(h)?.kvm?.params ?? {})
          .filter(([, v]) => v !== null)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '-',
    ],
  ];
  return table(
    ['', ...hosts.map((h) => h.name)],
    fields.map(([name, get]) => [`<b>${esc(name)}</b>`, ...hosts.map((h) => esc(get(h)))]),
    new Set(),
    'fingerprint',
  );
}

/** A run's measured rows, then one line per reason for what was not measured (the text in full, once). */
export function resultsTable(run: RunSummary): string {
  const ok = run.results.filter((r) => r.status === 'ok');
  const wall = ok.some((r) => r.wall !== undefined);
  const head = ['host', 'path', 'op', 'granule', 'threads', 'calls', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'];
  if (wall) head.push('wall');
  const rows = ok.map((r) =>
    [
      r.host,
      r.path,
      r.op,
      formatSize(r.granule),
      String(r.threads),
      String(r.samples ?? 0),
      formatNs(r.p50),
      formatNs(r.p90),
      formatNs(r.p99),
      formatNs(r.p999),
      formatNs(r.max),
      formatNs(r.mean),
      ...(wall ? [formatNs(r.wall)] : []),
    ].map(esc),
  );
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11, ...(wall ? [12] : [])]);
  const parts = [table(head, rows, numeric, 'results', new Set([1, 2]))];
  const byReason = new Map<string, string[]>();
  for (const r of run.results.filter((x) => x.status !== 'ok')) {
    const k = `${r.host}: ${r.status}: ${r.reason ?? ''}`;
    byReason.set(k, [...(byReason.get(k) ?? []), `${r.path} ${r.op} ${formatSize(r.granule)}`]);
  }
  if (byReason.size > 0) {
    parts.push(
      `<h4>Not measured</h4><ul class="reasons">${[...byReason].map(([k, what]) => `<li>${esc(what.join(', '))} (${esc(k)})</li>`).join('')}</ul>`,
    );
  }
  return parts.join('\n');
}

/** slower / faster / noisy / nothing clear: the class of a change cell (+ = slower: src/analysis/change.ts) */
function direction(m: MetricComparison | undefined): string {
  if (!m) return '';
  return m.mark === 'significant' ? (m.changePct > 0 ? 'worse' : 'better') : m.mark === 'noisy' ? 'noisy' : '';
}

/** A comparison as an HTML table, one row per series (p50 and p99 side by side), slower red and faster green. */
export function comparisonTable(c: Comparison): string {
  const runs = c.mode === 'runs';
  const across = c.spread === 'between-runs';
  const metrics = [...new Set(c.rows.flatMap((r) => r.metrics.map((m) => m.metric)))];
  const b = runs ? 'baseline' : c.baseline.label;
  const a = runs ? 'candidate' : c.candidate.label;
  // the host column only when there are several hosts: the table must fit the page
  const hosts = new Set(c.rows.map((r) => r.host)).size > 1;
  const head = [...(hosts ? ['host'] : []), ...(runs ? ['path'] : []), 'op', 'granule', 'thr'];
  const keys = head.length;
  // wall (rows of 2+ threads) by its change alone: the table must fit the page
  for (const m of metrics)
    head.push(
      ...(m === 'wall'
        ? [`${m} change`]
        : [`${m} ${b} → ${a}`, `${m} change`, `${m} ${across ? 'interval' : '95% interval'}`]),
      ...(m === 'p50' ? ['p'] : []),
    );
  head.push(across ? 'noise' : 'cv b / c');
  const rows: string[][] = [];
  for (const r of c.rows) {
    const cells = [
      ...(hosts ? [esc(r.host)] : []),
      ...(runs ? [esc(r.path)] : []),
      esc(r.op),
      ...granuleCells(r).map(esc),
    ];
    for (const name of metrics) {
      const m = r.metrics.find((x) => x.metric === name);
      const dir = direction(m);
      const change = m ? `<span class="${dir}">${esc(formatChange(m.changePct))}${esc(markOf(m))}</span>` : '-';
      if (name === 'wall') {
        cells.push(change);
        continue;
      }
      cells.push(
        m ? esc(`${formatNs(m.baseline)} → ${formatNs(m.candidate)}`) : '-',
        change,
        m?.ci ? esc(`${formatChange(m.ci.lo)} .. ${formatChange(m.ci.hi)}`) : '-',
        ...(name === 'p50' ? [m ? esc(m.pValue.toPrecision(2)) : '-'] : []),
      );
    }
    const p50 = r.metrics[0];
    // the spread the verdict used: the series' run-to-run noise, or the repetitions' cvs
    cells.push(
      esc(
        across
          ? cvText(p50?.noise?.used ?? null)
          : `${cvText(p50?.cvBaseline ?? null)} / ${cvText(p50?.cvCandidate ?? null)}`,
      ),
    );
    rows.push(cells);
  }
  const numeric = new Set(head.map((_, i) => i).filter((i) => i >= keys - 2));
  const parts = [table(head, rows, numeric, 'comparison', new Set(head.map((_, i) => i).filter((i) => i < keys)))];
  for (const s of c.summary) {
    if (s.count > 0) {
      const dir = s.changePct > 0 ? 'worse' : 'better';
      parts.push(
        `<p class="summary">geomean ${esc(s.metric)}: candidate/baseline <b>${s.geomeanRatio.toFixed(3)}</b> (<span class="${dir}">${esc(formatChange(s.changePct))}</span>) over ${s.count} rows: <span class="better">${s.better} faster *</span>, <span class="worse">${s.worse} slower *</span>, <span class="noisy">${s.noisy} noisy ~</span></p>`,
      );
    }
  }
  parts.push(
    `<ul class="legend"><li><span class="worse">red: slower</span>, <span class="better">green: faster</span> (significant changes only); p: of the p50 change</li>${legend(
      c,
    )
      .map((l) => `<li>${esc(l)}</li>`)
      .join('')}${c.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul>`,
  );
  if (c.notCompared.length > 0) {
    parts.push(
      `<details><summary>not compared (${c.notCompared.length})</summary><ul>${c.notCompared.map((n) => `<li>${esc(notComparedLabel(n, true))}: ${esc(n.reason)}</li>`).join('')}</ul></details>`,
    );
  }
  return parts.join('\n');
}
