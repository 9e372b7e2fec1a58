/**
 * The checked contract between the probe and the controller: every probe line type, every op's
 * `extra`, and summary.json read back. A line that does not match is a probe error naming the field.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeLine, type RepLine, type ResultLine } from '../src/probe/protocol.js';
import { summarizeRow } from '../src/analysis/summarize.js';
import { ProbeClient, ProbeError } from '../src/probe/client.js';
import type { ExecOptions, ExecResult, Transport } from '../src/transport/transport.js';
import { readSummary, writeSummary } from '../src/results/store.js';
import { SCHEMA_VERSION } from '../src/results/schema.js';
import { rowNote } from '../src/output/notes.js';
import { fixtureSummary } from './helpers/regress-fixtures.js';
import { WORKLOAD_LIST } from '../src/workloads/index.js';
import { buildProbe } from '../src/probe/build.js';
import { LocalTransport } from '../src/transport/local.js';
import { hasCc } from './helpers/host.js';
import { execa } from 'execa';

const rep = {
  type: 'rep',
  index: 0,
  samples: 2,
  min: 100,
  max: 200,
  sum: 300,
  sumsq: 50000,
  buckets: [
    [100, 1],
    [200, 1],
  ],
};
const result = {
  type: 'result',
  path: 'shmem',
  op: 'alloc',
  granule: 4096,
  threads: 1,
  status: 'ok',
  samples: 2,
  elapsedNs: 5,
  cpus: null,
};
const guestResult = { ...result, op: 'guest-fault', extra: { exitOnlyNs: 9000 } };

/** A host whose probe prints the given lines. */
class Canned implements Transport {
  readonly host = 'canned';
  constructor(private readonly lines: string[]) {}
  async exec(_argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.onStdoutLine) for (const l of this.lines) opts.onStdoutLine(l);
    return { exitCode: 0, stdout: opts.onStdoutLine ? '' : this.lines.join('\n'), stderr: '' };
  }
  async put(): Promise<void> {}
  async close(): Promise<void> {}
}

const job = {
  path: 'shmem',
  op: 'alloc',
  granule: 4096,
  region: 8192,
  threads: 1,
  repetitions: 1,
  warmup: 0,
  maxMemShare: 0.5,
  raw: false,
  params: {},
};
const runLines = (lines: object[], op = 'alloc') =>
  new ProbeClient(new Canned(lines.map((l) => JSON.stringify(l))), '/probe').run({ ...job, op });

describe('probe lines', () => {
  it('a well-formed rep and result pass', () => {
    expect(parseProbeLine(JSON.stringify(rep))).toEqual(rep);
    expect(parseProbeLine(JSON.stringify(result))).toEqual(result);
    expect(parseProbeLine('{"type":"version","probe":"0.1.0","ops":["alloc"]}')).toEqual({
      type: 'version',
      probe: '0.1.0',
      ops: ['alloc'],
    });
  });

  it("a rep's wallNs is the row's wall a call at 2+ threads; one thread, or a rep without it: no wall", () => {
    const two = { ...job, threads: 2 };
    const line = (o: object) => parseProbeLine(JSON.stringify({ ...rep, ...o })) as RepLine;
    const reps = [line({ wallNs: 1000 }), line({ index: 1, wallNs: 600 })];
    const done = (threads: number) => parseProbeLine(JSON.stringify({ ...result, threads, samples: 4 })) as ResultLine;
    const row = summarizeRow('h', two, reps, done(2));
    expect(row.repetitions.map((r) => r.wall)).toEqual([500, 300]);
    expect(row.wall).toBe(400);
    expect(summarizeRow('h', job, reps, done(1)).wall).toBeUndefined();
    const older = summarizeRow('h', two, [reps[0], line({ index: 1 })], done(2));
    expect(older.wall).toBeUndefined();
    expect(() => parseProbeLine(JSON.stringify({ ...rep, wallNs: -1 }))).toThrow(/wallNs/);
  });

  it('a line that does not match names the line type and the field', () => {
    expect(() => parseProbeLine(JSON.stringify({ ...rep, samples: 'two' }))).toThrow(/"rep" line .*samples: /);
    expect(() => parseProbeLine(JSON.stringify({ ...rep, buckets: [[100, 1], [200]] }))).toThrow(/buckets\[1\]/);
    expect(() => parseProbeLine(JSON.stringify({ ...result, status: 'fine' }))).toThrow(/"result" line .*status: /);
    const { path: _path, ...noPath } = result;
    expect(() => parseProbeLine(JSON.stringify(noPath))).toThrow(/path: /);
    expect(() => parseProbeLine('{"type":"wat"}')).toThrow(/unknown type "wat"/);
    expect(() => parseProbeLine('{"samples":1}')).toThrow(/without a "type"/);
    expect(() => parseProbeLine('not json')).toThrow(/not JSON/);
  });

  it('the client turns a bad line into a ProbeError naming the field (a probe-error of the host)', async () => {
    await expect(runLines([{ ...rep, min: null }, result])).rejects.toThrow(ProbeError);
    await expect(runLines([{ ...rep, min: null }, result])).rejects.toThrow(/canned: .*min: /);
    const ok = await runLines([rep, result]);
    expect(ok.reps).toHaveLength(1);
    expect(ok.result.status).toBe('ok');
  });

  it("each op's extra is checked: a missing or mistyped figure is an error, not a 0", async () => {
    expect((await runLines([rep, guestResult], 'guest-fault')).result.extra).toEqual({ exitOnlyNs: 9000 });
    await expect(runLines([rep, { ...guestResult, extra: {} }], 'guest-fault')).rejects.toThrow(/extra\.exitOnlyNs: /);
    await expect(runLines([rep, { ...guestResult, extra: { exitOnlyNs: '9us' } }], 'guest-fault')).rejects.toThrow(
      /extra\.exitOnlyNs/,
    );
    await expect(runLines([rep, { ...result, extra: { x: 1 } }])).rejects.toThrow(
      /"extra" for alloc, which reports none/,
    );
  });

  it('every op that reports extra figures has a note for them', () => {
    for (const w of WORKLOAD_LIST) expect(Boolean(w.note), w.name).toBe(Boolean(w.extra));
  });

  it('a row whose extra does not match its op says so in the note instead of printing zeros', () => {
    const row = {
      ...fixtureSummary(0, [{ path: 'shmem', op: 'guest-fault', granule: 4096, p50: () => 1000 }]).results[0],
      extra: {},
    };
    expect(rowNote(row)).toMatch(/^extra does not match what guest-fault reports: extra\.exitOnlyNs: /);
    expect(rowNote({ ...row, extra: { exitOnlyNs: 9000 } })).toMatch(/KVM_RUN without a fault \(entry \+ exit\): 9/);
  });

  it.skipIf(!hasCc)("this probe's fingerprint matches the schema", async () => {
    const fp = await new ProbeClient(new LocalTransport(), (await buildProbe()).path).fingerprint();
    expect(fp.type).toBe('fingerprint');
    expect(fp.kernel.release).toMatch(/^\d/);
  });

  it.skipIf(!hasCc)(
    'the probe has exactly the ops the workload files describe (probe/ops.h and src/workloads/index.ts)',
    async () => {
      const r = await execa((await buildProbe()).path, ['version']);
      const line = parseProbeLine(r.stdout.trim());
      expect(line.type).toBe('version');
      if (line.type === 'version') expect(line.ops).toEqual(WORKLOAD_LIST.map((w) => w.name));
    },
  );

  it('a fingerprint line that does not match is a ProbeError naming the field', async () => {
    const client = new ProbeClient(new Canned(['{"type":"fingerprint","probe":"0.1.0","kernel":{}}']), '/probe');
    await expect(client.fingerprint()).rejects.toThrow(/canned: fingerprint: .*kernel\.release: /);
  });
});

describe('summary.json read back', () => {
  const dir = () => mkdtemp(join(tmpdir(), 'gmembench-summary-'));
  const run = () => fixtureSummary(0, [{ path: 'shmem', op: 'alloc', granule: 4096, p50: () => 1000 }]);

  it('a summary of this schemaVersion reads back as written, unknown keys kept', async () => {
    const d = await dir();
    const s = { ...run(), futureField: { kept: true } };
    await writeSummary(d, s);
    expect(await readSummary(d)).toEqual(s);
  });

  it('a newer schemaVersion is refused, saying which and why', async () => {
    const d = await dir();
    await writeSummary(d, { ...run(), schemaVersion: SCHEMA_VERSION + 1 });
    await expect(readSummary(d)).rejects.toThrow(
      `schemaVersion ${SCHEMA_VERSION + 1} was written by a newer gmembench; this one reads up to ${SCHEMA_VERSION}`,
    );
  });

  it('a missing or unknown schemaVersion is refused', async () => {
    const d = await dir();
    const { schemaVersion: _v, ...noVersion } = run();
    await writeFile(join(d, 'summary.json'), JSON.stringify(noVersion));
    await expect(readSummary(d)).rejects.toThrow(/schemaVersion undefined is not a gmembench summary version/);
  });

  it('a row that does not match is refused naming the file and the field', async () => {
    const d = await dir();
    const s = run();
    await writeFile(join(d, 'summary.json'), JSON.stringify({ ...s, results: [{ ...s.results[0], status: 'meh' }] }));
    await expect(readSummary(d)).rejects.toThrow(
      new RegExp(`${d}/summary.json: not a gmembench run summary of schemaVersion 1: results\\[0\\]\\.status: `),
    );
    await writeFile(join(d, 'summary.json'), JSON.stringify({ ...s, hosts: [{ ...s.hosts[0], status: 'maybe' }] }));
    await expect(readSummary(d)).rejects.toThrow(/hosts\[0\]\.status: /);
  });
});
