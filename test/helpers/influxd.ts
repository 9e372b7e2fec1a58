/**
 * A real influxd (1.x) for tests, on free loopback ports with its meta/data/wal in a tmpdir and
 * reporting disabled. The one InfluxDB helper: regress, nightly, push and the dashboard queries use it.
 * halt() stops the server and keeps its files, start() brings it back on the same ports (for
 * "InfluxDB went away in the middle of a push"); stop() stops it for good and removes the tmpdir.
 */
import { execaSync, execa, type ResultPromise } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';

export const hasInfluxd = (() => {
  try {
    execaSync('influxd', ['version']);
    return true;
  } catch {
    return false;
  }
})();

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface Influxd {
  url: string;
  /** a client on `db` (default gmembench) for reading back what a test wrote */
  client(db?: string): InfluxDB;
  /** stop the server, keep its data (SIGTERM: influxd flushes and exits) */
  halt(): Promise<void>;
  /** start it again on the same ports and data; resolves when /ping answers */
  start(): Promise<void>;
  /** stop the server and remove its files */
  stop(): Promise<void>;
}

async function waitUp(url: string, proc: ResultPromise, conf: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/ping`)).status === 204) return;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`influxd did not start on ${url} (config ${conf})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-influxd-'));
  const [rpc, http] = [await freePort(), await freePort()];
  const conf = join(dir, 'influxdb.conf');
  await writeFile(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${http}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${http}`;
  let proc: ResultPromise | null = null;
  const start = async () => {
    if (proc) return;
    const p = execa('influxd', ['run', '-config', conf], { reject: false, stdio: 'ignore' });
    proc = p;
    await waitUp(url, p, conf);
  };
  const halt = async () => {
    const p = proc;
    if (!p) return;
    proc = null;
    p.kill('SIGTERM');
    await p;
  };
  await start();
  return {
    url,
    client: (db = 'gmembench') => new InfluxDB({ host: '127.0.0.1', port: http, database: db }),
    halt,
    start,
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
