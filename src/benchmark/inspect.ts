/**
 * `gmembench hosts`: reach every host of an inventory in parallel, put the probe there and read
 * its fingerprint. Read-only on the hosts (no lock taken: a fingerprint does not disturb a run).
 */
import type { Inventory, HostConfig } from '../config/hosts.js';
import { buildProbe, type ProbeBinary } from '../probe/build.js';
import { ProbeClient } from '../probe/client.js';
import { ensureProbe } from '../probe/deliver.js';
import type { HostEntry } from '../results/schema.js';
import { openTransport } from '../transport/index.js';
import { runWithProgress, type ProgressMode } from '../output/progress.js';
import { classify } from './failure.js';
import { hostFailureText } from '../output/host-failure.js';
import { markEmulation } from '../lab/emulation.js';

export interface InspectOptions {
  concurrency?: number;
  progress?: ProgressMode;
  acceptNewHostKeys?: boolean;
  signal?: AbortSignal;
  probe?: ProbeBinary;
}

export async function fingerprintHosts(inventory: Inventory, opts: InspectOptions = {}): Promise<HostEntry[]> {
  const probe = opts.probe ?? (await buildProbe());
  const one = async (host: HostConfig, report: (m: string) => void): Promise<HostEntry> => {
    const entry: HostEntry = { name: host.name, status: 'ok', labels: host.labels ?? {}, fingerprint: null };
    try {
      report('connecting');
      const t = await openTransport(host, {
        signal: opts.signal,
        acceptNewHostKeys: opts.acceptNewHostKeys,
        hosts: inventory.hosts,
      });
      try {
        report('delivering probe');
        const path = await ensureProbe(t, probe, report);
        report('fingerprint');
        entry.fingerprint = await new ProbeClient(t, path).fingerprint(opts.signal);
        markEmulation(entry);
      } finally {
        await t.close().catch(() => undefined);
      }
    } catch (err) {
      const f = classify(host.name, err);
      Object.assign(entry, { status: 'failed', subStatus: f.subStatus, error: f.message });
    }
    return entry;
  };
  return runWithProgress(
    inventory.hosts.map((h) => ({
      title: h.name,
      run: (report) => one(h, report),
      describe: (e: HostEntry) => ({ ok: e.status === 'ok', line: e.status === 'ok' ? 'ok' : hostFailureText(e) }),
    })),
    { concurrency: opts.concurrency ?? 8, mode: opts.progress },
  );
}
