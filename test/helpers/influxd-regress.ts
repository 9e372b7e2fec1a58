/**
 * A real influxd (1.x) for regress tests, on free loopback ports with its meta/data/wal in a tmpdir
 * and reporting disabled. (Named -regress so it does not clash with test/helpers/influxd.ts from the
 * push/dashboards branch.)
 */
import { execaSync, execa, type ResultPromise } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  stop(): Promise<void>;
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
      '[meta]', `  dir = "${dir}/meta"`,
      '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false',
      '[http]', `  bind-address = "127.0.0.1:${http}"`, '  log-enabled = false',
      '[monitor]', '  store-enabled = false',
      '',
    ].join('\n'),
  );
  const proc: ResultPromise = execa('influxd', ['run', '-config', conf], { reject: false, stdio: 'ignore' });
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/ping`)).status === 204) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`influxd did not start on ${url} (config ${conf})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
