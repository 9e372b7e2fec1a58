/**
 * regress as JUnit XML, so CI lists one failing test case per new regression: a suite per host,
 * a case per series and metric (passing when it has no new regression), and one failing case per
 * new regression. Known regressions and improvements are in the cases' system-out.
 * XML written by hand: five escapes are all it takes, no library needed.
 */
import type { Change, RegressReport } from '../analysis/regress.js';
import { formatNs } from '../util/units.js';
import type { RegressFormat } from './regress-format.js';
import { seriesLabel } from './regress-text.js';
import { formatChange } from '../analysis/change.js';

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function describe(c: Change): string {
  return `${c.metric} ${formatNs(c.before)} -> ${formatNs(c.after)} (${formatChange(c.changePct)}, p=${c.pValue.toExponential(1)}) from run ${c.firstRunId} (last good ${c.lastGoodRunId})`;
}

export function renderRegressJunit(r: RegressReport): string {
  const hosts = [...new Set(r.series.map((s) => s.key.split('/')[0]))].sort();
  const changes = [...r.regressions, ...r.improvements];
  const suites = hosts.map((host) => {
    const cases: string[] = [];
    let failures = 0;
    for (const s of r.series.filter((x) => x.key.split('/')[0] === host)) {
      const mine = changes.filter((c) => c.series === s.key && c.metric === s.metric);
      const failing = mine.filter((c) => c.kind === 'regression' && !c.known);
      const name = xmlEscape(`${s.key} ${s.metric}`);
      const other = mine.filter((c) => !failing.includes(c)).map((c) => `${c.known ? 'known ' : ''}${c.kind}: ${describe(c)}`);
      const out = other.length ? `<system-out>${xmlEscape(other.join('\n'))}</system-out>` : '';
      cases.push(`    <testcase classname="gmembench.regress.${xmlEscape(host)}" name="${name}">${out}</testcase>`);
      for (const c of failing) {
        failures++;
        const msg = xmlEscape(`${seriesLabel(c)} ${c.metric} slower by ${formatChange(c.changePct)} from run ${c.firstRunId}`);
        cases.push(
          `    <testcase classname="gmembench.regress.${xmlEscape(host)}" name="${name} regression at ${xmlEscape(c.firstRunId)}">` +
            `<failure type="regression" message="${msg}">${xmlEscape(describe(c))}</failure></testcase>`,
        );
      }
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

export const regressJunit: RegressFormat = { name: 'junit', extension: 'xml', render: renderRegressJunit };
