import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { writeHistory } from './helpers/regress-fixtures.js';
import { startRecorder } from './helpers/http-recorder.js';
import { loadHistoryDir } from '../src/analysis/series.js';
import { regress } from '../src/analysis/regress.js';
import { renderRegressJunit } from '../src/export/regress-junit.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gmembench-regress-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// 30 runs: alloc 4K regresses by +10% from run 20 (a kernel update), punch 2M improves by 20% from
// run 10, fault 4K stays flat, fault 2M has one slow run (a spike)
const SERIES = [
  { op: 'alloc', granule: 4096, p50: (i: number) => (i < 20 ? 800 : 880) },
  { op: 'punch', granule: 2 << 20, p50: (i: number) => (i < 10 ? 50_000 : 40_000) },
  { op: 'fault', granule: 4096, p50: () => 1200 },
  { op: 'fault', granule: 2 << 20, p50: (i: number) => (i === 15 ? 90_000 : 30_000) },
];
const kernel = (i: number) => (i < 20 ? '6.18.0' : '6.19.0-rc1');

describe('regress over a results folder', () => {
  let hist: string;
  let flat: string;
  beforeAll(async () => {
    hist = join(tmp, 'history');
    flat = join(tmp, 'flat');
    await writeHistory(hist, 30, SERIES, { kernel });
    await writeHistory(flat, 30, [SERIES[2], SERIES[3]]);
  });

  it('finds the regression (first run, before/after, %), the improvement apart, nothing for flat or spike; exit 4', async () => {
    const r = await cli(['regress', '--history', hist]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/REGRESSIONS: \d+ \(\d+ new\)/);
    expect(r.stdout).toMatch(/host local:\nseries .*\n-.*\nshmem alloc 4K x1\s+p50\s+80\dns\s+8[78]\dns\s+\+10\.\d%/);
    expect(r.stdout).toContain('2026-01-21T02-00-00Z-nightly-0020'); // run index 20 started on Jan 21
    expect(r.stdout).toContain('6.18.0 -> 6.19.0-rc1');
    expect(r.stdout).toMatch(/improvements: \d+\n[\s\S]*\nshmem punch 2M x1\s+p50\s+50\.\dus\s+40\.\dus\s+-20\.\d%/);
    expect(r.stdout).not.toMatch(/fault/);

    const j = await cli(['regress', '--history', hist, '--format', 'json']);
    const report = JSON.parse(j.stdout);
    const p50 = report.regressions.filter((c: { metric: string }) => c.metric === 'p50');
    expect(p50).toHaveLength(1);
    expect(p50[0]).toMatchObject({
      series: 'local/shmem/alloc/4096/1',
      firstRunId: '2026-01-21T02-00-00Z-nightly-0020',
      lastGoodRunId: '2026-01-20T02-00-00Z-nightly-0019',
      kernelBefore: '6.18.0',
      kernelAfter: '6.19.0-rc1',
      known: false,
    });
    expect(p50[0].changePct).toBeGreaterThan(9);
    expect(p50[0].changePct).toBeLessThan(11);
    expect(report.improvements.map((c: { series: string }) => c.series)).toContain('local/shmem/punch/2097152/1');
    expect(report.runs).toBe(30);
    expect(report.series).toHaveLength(8);
  });

  it('prints the command that bisects each new regression, and that command decides', async () => {
    const r = await cli(['regress', '--history', hist, '--metrics', 'p50']);
    const text = r.stdout.replace(/ \\\n {6}/g, ' ');
    const m = /git bisect run gmembench (bisect-check --series local\/shmem\/alloc\/4K\/1 .*)/.exec(text);
    expect(m, r.stdout).not.toBeNull();
    expect(m![1]).toMatch(
      /--metric p50 --threshold [45]\.\d% --baseline \S+history --until 2026-01-20T02-00-00Z-nightly-0019 --suite suites\/nightly\.yaml$/,
    );
    const args = m![1].split(' ').filter((a, i, all) => a !== '--suite' && all[i - 1] !== '--suite');
    // the runs up to the last good one as the baseline: a run after the change is bad, one before good
    const runs = (await readdir(hist)).sort();
    const bad = await cli([...args, '--fresh', join(hist, runs[25])]);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/10 baseline run\(s\), 1 fresh/);
    const good = await cli([...args, '--fresh', join(hist, runs[5])]);
    expect(good.code, good.stderr).toBe(0);
    const wrong = await cli([...args.slice(0, -1), 'no-such-run', '--fresh', join(hist, runs[5])]);
    expect(wrong.code).toBe(128);
    expect(wrong.stderr).toMatch(/--until no-such-run: not a run of --baseline/);
  });

  it('exit 0 and "no regressions" for a flat history with a spike', async () => {
    const r = await cli(['regress', '--history', flat]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no regressions');
    expect(r.stdout).toContain('no improvements');
  });

  it('thresholds are settable: a 15% minimum magnitude hides the 10% regression', async () => {
    const r = await cli(['regress', '--history', hist, '--min-magnitude', '15%', '--metrics', 'p50']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no regressions');
    expect(r.stdout).toContain('punch'); // the 20% improvement still shows
    const bad = await cli(['regress', '--history', hist, '--min-segment', '1']);
    expect(bad.code).toBe(2); // a bad option value is a usage error, refused before the history is read
    expect(bad.stderr).toContain("option '--min-segment <n>' argument '1' is invalid. expected a whole number >= 2");
    const missing = await cli(['regress', '--history', join(tmp, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`history ${join(tmp, 'nope')}: not a folder of runs`);
  });

  it('writes JUnit XML: one stable case per series and metric (4K/2M), failing while it is regressed, known or new; JSON to a file', async () => {
    const junit = join(tmp, 'regress.xml');
    const json = join(tmp, 'regress.json');
    const state = join(tmp, 'junit-state.json');
    const r = await cli([
      'regress',
      '--history',
      hist,
      '--junit-file',
      junit,
      '--json-file',
      json,
      '--metrics',
      'p50',
      '--state',
      state,
    ]);
    expect(r.code).toBe(4);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="gmembench regress" tests="4" failures="1" errors="0">/,
    );
    expect(xml.match(/<failure /g)).toHaveLength(1);
    const names = [...xml.matchAll(/<testcase classname="gmembench\.regress\.local" name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([
      'shmem alloc 4K x1 p50',
      'shmem fault 2M x1 p50',
      'shmem fault 4K x1 p50',
      'shmem punch 2M x1 p50',
    ]);
    expect(xml).toContain(
      'name="shmem alloc 4K x1 p50"><failure type="regression" message="local shmem alloc 4K x1 p50 slower by +10.',
    );
    expect(xml).toMatch(
      /name="shmem punch 2M x1 p50"><system-out>improvement: p50 50\.\d+us -&gt; 40\.\d+us \(-20\.\d%/,
    );
    expect(JSON.parse(await readFile(json, 'utf8')).regressions).toHaveLength(1);
    // the next call knows the regression (exit 0), but the series is still regressed: its case still fails
    const again = await cli([
      'regress',
      '--history',
      hist,
      '--junit-file',
      junit,
      '--metrics',
      'p50',
      '--state',
      state,
    ]);
    expect(again.code, again.stdout).toBe(0);
    const xml2 = await readFile(junit, 'utf8');
    expect(xml2).toContain(
      'name="shmem alloc 4K x1 p50"><failure type="regression" message="local shmem alloc 4K x1 p50 slower by +10.',
    );
    expect(xml2).toContain('(known)');
    // a flat history: the same case names, all passing
    const flatXml = join(tmp, 'flat.xml');
    await cli(['regress', '--history', flat, '--junit-file', flatXml, '--metrics', 'p50']);
    const x3 = await readFile(flatXml, 'utf8');
    expect(x3).toContain('failures="0"');
    expect(x3).toContain('<testcase classname="gmembench.regress.local" name="shmem fault 4K x1 p50"></testcase>');
  });

  it('with --state each regression fails once: the next call knows it', async () => {
    const state = join(tmp, 'state.json');
    const first = await cli(['regress', '--history', hist, '--state', state, '--metrics', 'p50']);
    expect(first.code).toBe(4);
    expect(first.stdout).toMatch(/NEW/);
    const second = await cli(['regress', '--history', hist, '--state', state, '--metrics', 'p50']);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(/REGRESSIONS: 1 \(0 new\)/);
    expect(second.stdout).toContain('(known)');
    // one more run does not make it new again
    const moreHist = join(tmp, 'more');
    await writeHistory(moreHist, 33, SERIES, { kernel });
    const third = await cli(['regress', '--history', moreHist, '--state', state, '--metrics', 'p50']);
    expect(third.code, third.stdout).toBe(0);
    await writeFile(join(tmp, 'bad-state.json'), '{"reported": 3}');
    const bad = await cli(['regress', '--history', hist, '--state', join(tmp, 'bad-state.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad-state.json: field "reported" must be an array');
  });

  it('POSTs the webhook and Grafana annotations to real HTTP servers', async () => {
    const hook = await startRecorder();
    const grafana = await startRecorder();
    try {
      const r = await cli(
        [
          'regress',
          '--history',
          hist,
          '--metrics',
          'p50',
          '--webhook',
          `${hook.url}/hook`,
          '--grafana-url',
          grafana.url,
        ],
        { env: { GRAFANA_TOKEN: 'sekret' } },
      );
      expect(r.code, r.stderr).toBe(4);
      expect(hook.requests).toHaveLength(1);
      const body = hook.requests[0].body as {
        text: string;
        regressions: { series: string }[];
        improvements: unknown[];
      };
      expect(body.text).toMatch(
        /^gmembench: 1 new regression\(s\) as of run 2026-01-30T02-00-00Z-nightly-0029\n• local shmem alloc 4K x1 p50: \+10\.\d% since run 2026-01-21T02-00-00Z-nightly-0020$/,
      );
      expect(body.regressions[0].series).toBe('local/shmem/alloc/4096/1');
      expect(body.improvements).toHaveLength(1);
      expect(grafana.requests.map((q) => [q.method, q.url, q.headers.authorization])).toEqual([
        ['POST', '/api/annotations', 'Bearer sekret'],
        ['POST', '/api/annotations', 'Bearer sekret'],
      ]);
      const a = grafana.requests[0].body as { time: number; tags: string[]; text: string };
      expect(a.time).toBe(Date.parse('2026-01-21T02:00:00Z'));
      expect(a.tags).toEqual(['gmembench', 'regression', 'local', 'shmem', 'alloc', '4K', 'threads=1', 'p50']);
      // nothing new on a flat history: no POST
      const quiet = await cli(['regress', '--history', flat, '--webhook', `${hook.url}/hook`]);
      expect(quiet.code).toBe(0);
      expect(hook.requests).toHaveLength(1);
    } finally {
      await hook.close();
      await grafana.close();
    }
  });

  it('a failing webhook is an error (exit 1) only when nothing regressed; the report is still printed', async () => {
    const hook = await startRecorder(500);
    try {
      const r = await cli(['regress', '--history', hist, '--metrics', 'p50', '--webhook', `${hook.url}/hook`]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/webhook http:\/\/127\.0\.0\.1:\d+\/hook: HTTP 500/);
      expect(r.stdout).toContain('REGRESSIONS');
    } finally {
      await hook.close();
    }
  });

  it('skips an unreadable run and names it; filters by suite', async () => {
    const h = join(tmp, 'mixed');
    await writeHistory(h, 12, [SERIES[2]]);
    await writeHistory(h, 12, [{ ...SERIES[2], p50: () => 5000 }], {
      suite: 'smoke',
      start: Date.parse('2026-02-01T03:00:00Z'),
    });
    await mkdir(join(h, 'broken'));
    await writeFile(join(h, 'broken', 'summary.json'), '{"runId": ');
    const loaded = await loadHistoryDir(h, { suite: 'nightly' });
    expect(loaded.runs).toHaveLength(12);
    expect(loaded.skipped[0]).toMatch(/broken\/summary\.json: not a readable run summary/);
    expect(regress(loaded.runs).regressions).toEqual([]);
    // both suites mixed: the smoke runs (another region) that came later look like a change
    const mixed = await cli(['regress', '--history', h, '--format', 'json']);
    expect(JSON.parse(mixed.stdout).regressions.length + JSON.parse(mixed.stdout).improvements.length).toBeGreaterThan(
      0,
    );
    const r = await cli(['regress', '--history', h, '--suite', 'nightly']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/skipped: .*broken\/summary\.json/);
  });

  it('escapes XML', () => {
    const xml = renderRegressJunit({
      generatedAt: 'now',
      source: 's',
      options: {} as never,
      runs: 0,
      firstRunId: null,
      lastRunId: null,
      series: [{ key: 'a<b>&"/shmem/alloc/4096/1', metric: 'p50', points: 3 }],
      regressions: [],
      improvements: [],
      skipped: [],
    });
    expect(xml).toContain(
      '<testcase classname="gmembench.regress.a&lt;b&gt;&amp;&quot;" name="shmem alloc 4K x1 p50">',
    );
  });
});
