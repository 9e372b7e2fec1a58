/**
 * The controller's own cost per SSH host: the same short suite on one loopback sshd host, then on
 * eight at once, in one run each (probe already delivered, so uploads are not counted). Prints wall
 * time and the controller's CPU time (user + system of this process: connections, crypto, parsing,
 * summary writes; the probes are other processes) per host, and the 8-host / 1-host ratios.
 * On a machine with fewer cores than hosts the wall ratio is mostly the probes sharing CPUs; the
 * CPU-per-host ratio is the controller's overhead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, sshdMissing } from '../test/helpers/sshd.js';
import { loadInventory, LOCAL_INVENTORY, type Inventory } from '../src/config/hosts.js';
import { loadSuite, type Suite } from '../src/config/suite.js';
import { buildProbe, type ProbeBinary } from '../src/probe/build.js';
import { runSuite } from '../src/benchmark/run.js';
import { formatColumns } from '../src/output/columns.js';
import { median } from '../src/analysis/stats/describe.js';

const HOSTS = 8;
const ROUNDS = 3;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function measure(suite: Suite, inventory: Inventory, probe: ProbeBinary, resultsDir: string): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { summary } = await runSuite({ suite, inventory, resultsDir, progress: 'silent', probe, concurrency: HOSTS });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const failed = summary.hosts.filter((h) => h.status !== 'ok');
  if (failed.length > 0)
    throw new Error(`ssh-overhead: ${failed.map((h) => `${h.name}: ${h.subStatus} ${h.error}`).join('; ')}`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export async function run(): Promise<void> {
  if (sshdMissing) {
    process.stdout.write(`skipped: ${sshdMissing}\n`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-bench-ssh-'));
  const lab = await startLab(HOSTS);
  try {
    const probe = await buildProbe();
    const suiteFile = join(dir, 'short.yaml');
    await writeFile(
      suiteFile,
      'name: ssh-overhead\ndefaults: {repetitions: 3, warmup: 1}\nworkloads:\n  - {paths: [shmem], ops: [alloc, punch], granules: [4K], region: 1M}\n',
    );
    const suite = await loadSuite(suiteFile);
    const invFile = join(dir, 'lab.yaml');
    await writeFile(invFile, lab.inventoryYaml());
    const all = await loadInventory(invFile);
    const one: Inventory = { hosts: all.hosts.slice(0, 1) };
    const local: Inventory = { hosts: [{ ...LOCAL_INVENTORY.hosts[0], lockPath: join(dir, 'local.lock') }] };
    const results = join(dir, 'results');
    await measure(suite, all, probe, results); // delivers the probe everywhere; not counted
    const s1: Sample[] = [];
    const s8: Sample[] = [];
    const sl: Sample[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      sl.push(await measure(suite, local, probe, results));
      s1.push(await measure(suite, one, probe, results));
      s8.push(await measure(suite, all, probe, results));
    }
    const m = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k]));
    const row = (name: string, xs: Sample[], hosts: number) => [
      name,
      String(hosts),
      `${m(xs, 'wallMs').toFixed(0)} ms`,
      `${m(xs, 'cpuMs').toFixed(0)} ms`,
      `${(m(xs, 'cpuMs') / hosts).toFixed(0)} ms`,
    ];
    process.stdout.write(
      `${formatColumns(
        [
          { header: 'run' },
          { header: 'hosts', align: 'right' },
          { header: 'wall', align: 'right' },
          { header: 'controller cpu', align: 'right' },
          { header: 'cpu / host', align: 'right' },
        ],
        [row('local (no ssh)', sl, 1), row('ssh, 1 host', s1, 1), row(`ssh, ${HOSTS} hosts`, s8, HOSTS)],
      )}\n`,
    );
    const wallRatio = m(s8, 'wallMs') / m(s1, 'wallMs');
    const cpuRatio = m(s8, 'cpuMs') / HOSTS / m(s1, 'cpuMs');
    process.stdout.write(
      `median of ${ROUNDS}; ${HOSTS} hosts vs 1: wall x${wallRatio.toFixed(2)} (ideal 1.00 with ${HOSTS} free cores), ` +
        `controller cpu per host x${cpuRatio.toFixed(2)} (1.00: no extra cost per host when fanning out)\n`,
    );
  } finally {
    await lab.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
