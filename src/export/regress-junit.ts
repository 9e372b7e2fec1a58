/**
 * regress as JUnit XML, so CI shows each series as one test case that keeps its name from run to
 * run: a suite per host, a case per series and metric, named with the granule as 4K/2M
 * ("shmem alloc 4K x1 p50"), failing while the series is regressed (its latest change point, its
 * own or its part of a host-wide shift, made it slower; known or new alike) and passing otherwise.
 * Earlier changes, improvements and host-wide shifts are in the case's system-out. A series whose
 * rows have too few samples for the metric (RegressReport.thin) keeps its case, skipped, saying why.
 * XML written by hand: five escapes are all it takes, no library needed.
 */
import { seriesStates, type Change, type RegressReport } from '../analysis/regress.js';
import { formatNs, formatSize } from '../util/units.js';
import type { RegressFormat } from './regress-format.js';
import { seriesLabel } from './regress-text.js';
import { formatChange, SIGN_LEGEND } from '../analysis/change.js';

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function describe(c: Change): string {
  return `${c.metric} ${formatNs(c.before)} -> ${formatNs(c.after)} (${formatChange(c.changePct)}, p=${c.pValue.toExponential(1)}) from run ${c.firstRunId} (last good ${c.lastGoodRunId})`;
}

/** "shmem alloc 4K x1 p50" from "host/shmem/alloc/4096/1": the case's stable name */
export function caseName(key: string, metric: string): string {
  const [, path, op, granule, threads] = key.split('/');
  return `${path} ${op} ${formatSize(Number(granule))} x${threads} ${metric}`;
}

export function renderRegressJunit(r: RegressReport): string {
  const hosts = [...new Set([...r.series, ...(r.thin ?? [])].map((s) => s.key.split('/')[0]))].sort();
  const judged = new Set(r.series.map((s) => `${s.key}#${s.metric}`));
  const changes = [...r.regressions, ...r.improvements];
  const states = seriesStates(r);
  const suites = hosts.map((host) => {
    const cases: string[] = [];
    let failures = 0;
    for (const st of states.filter((x) => x.host === host)) {
      const mine = changes.filter((c) => c.series === st.series && c.metric === st.metric);
      const shifts = (r.shifts ?? []).filter((sh) =>
        sh.members?.some((m) => m.series === st.series && m.metric === st.metric),
      );
      const history = [
        ...mine.map((c) => `${c.known ? 'known ' : ''}${c.kind}: ${describe(c)}`),
        ...shifts.map(
          (sh) =>
            `host-wide shift from run ${sh.firstRunId} (${sh.series} series, median ${formatChange(sh.medianChangePct)}; fingerprint: ${sh.fingerprint})`,
        ),
      ];
      const out = history.length ? `<system-out>${xmlEscape([...history, SIGN_LEGEND].join('\n'))}</system-out>` : '';
      const attrs = `classname="gmembench.regress.${xmlEscape(host)}" name="${xmlEscape(caseName(st.series, st.metric))}"`;
      if (st.regressed && st.latest) {
        failures++;
        const l = st.latest;
        const label = `${seriesLabel({ host, path: st.series.split('/')[1], op: st.series.split('/')[2], granule: Number(st.series.split('/')[3]), threads: Number(st.series.split('/')[4]) })} ${st.metric}`;
        const msg = `${label} slower by ${formatChange(l.changePct)} from run ${l.firstRunId}${l.hostWide ? ' (host-wide shift)' : ''}${l.change?.known ? ' (known)' : ''}`;
        const body = l.change
          ? describe(l.change)
          : `host-wide shift from run ${l.firstRunId} (last good ${l.lastGoodRunId})`;
        cases.push(
          `    <testcase ${attrs}><failure type="regression" message="${xmlEscape(msg)}">${xmlEscape(body)}</failure>${out}</testcase>`,
        );
      } else {
        cases.push(`    <testcase ${attrs}>${out}</testcase>`);
      }
    }
    for (const t of (r.thin ?? []).filter((x) => x.host === host && !judged.has(`${x.key}#${x.metric}`))) {
      const attrs = `classname="gmembench.regress.${xmlEscape(host)}" name="${xmlEscape(caseName(t.key, t.metric))}"`;
      const why = `not judged: its rows have ${t.samples} samples, a ${t.metric} needs ${t.needed} (--tail-samples ${r.options.tailSamples})`;
      cases.push(`    <testcase ${attrs}><skipped message="${xmlEscape(why)}"/></testcase>`);
    }
    return {
      tests: cases.length,
      failures,
      xml: `  <testsuite name="gmembench regress ${xmlEscape(host)}" tests="${cases.length}" failures="${failures}" errors="0" timestamp="${r.generatedAt}">\n${cases.join('\n')}\n  </testsuite>`,
    };
  });
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gmembench regress" tests="${tests}" failures="${failures}" errors="0">\n${suites.map((s) => s.xml).join('\n')}\n</testsuites>\n`;
}

export const regressJunit: RegressFormat = { name: 'junit', render: renderRegressJunit };
