/** gmembench lab up|status|down: QEMU lab hosts of other kernels, reachable over loopback SSH (src/lab/). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { labDown, labList, labUp } from '../../lab/host.js';
import { parseMemMiB } from '../../lab/qemu.js';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what}: a positive integer`);
  return n;
};

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('lab hosts: other kernels under QEMU, measured over SSH (run SUITE --hosts <printed inventory>)');
  lab.command('up <name>')
    .description('boot a lab host; prints, as its last line, the path of an inventory file for it')
    .option('--kernel <spec>', 'debian:7.3, debian:6.12 or the path of a bzImage (with --modules)', 'debian:7.3')
    .option('--modules <dir>', 'lib/modules/<release> of a bzImage given to --kernel')
    .option('--numa <n>', 'NUMA nodes', int('--numa'), 1)
    .option('--mem <size>', 'guest memory (2G, 1536M)', '2G')
    .option('--cpus <n>', 'virtual CPUs (a multiple of --numa)', int('--cpus'))
    .option('--sw-protected', 'KVM modules rebuilt with CONFIG_KVM_SW_PROTECTED_VM (VM type 1, attributes ioctl)', false)
    .option('--accel <kvm|tcg>', 'QEMU accelerator (default: kvm where this machine can run a normal guest, else tcg)')
    .option('--attach', 'stay in the foreground; the lab host goes down on Ctrl-C or when this process dies', false)
    .option('--boot-timeout <s>', 'seconds to wait for SSH per boot attempt', int('--boot-timeout'), 90)
    .action(async (name: string, o: { kernel: string; modules?: string; numa: number; mem: string; cpus?: number; swProtected: boolean; accel?: string; attach: boolean; bootTimeout: number }) => {
      if (o.accel && o.accel !== 'kvm' && o.accel !== 'tcg') throw new InvalidArgumentError('--accel: kvm or tcg');
      const log = (l: string) => process.stderr.write(`lab: ${l}\n`);
      const st = await labUp({
        name, kernel: o.kernel, modules: o.modules, numa: o.numa, memMiB: parseMemMiB(o.mem), cpus: o.cpus ?? Math.max(2, o.numa),
        swProtected: o.swProtected, accel: o.accel as 'kvm' | 'tcg' | undefined, attach: o.attach, bootTimeout: o.bootTimeout, log,
      });
      if (o.attach) {
        const stop = () => { void labDown(name).finally(() => process.exit(130)); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stdout.write(`${st.inventory}\n`);
        log(`attached: Ctrl-C takes ${name} down`);
        await new Promise(() => {});
      }
      process.stdout.write(`${st.inventory}\n`);
    });
  lab.command('status')
    .description('the lab hosts and whether their QEMU runs')
    .option('--json', 'JSON')
    .action(async (o: { json?: boolean }) => {
      const hosts = await labList();
      if (o.json) { process.stdout.write(JSON.stringify(hosts, null, 2) + '\n'); return; }
      if (!hosts.length) { process.stdout.write('no lab hosts\n'); return; }
      for (const h of hosts) {
        process.stdout.write(`${h.name}\t${h.running ? 'up' : 'down'}\t${h.release}\t${h.accel}\tnuma=${h.numa} cpus=${h.cpus} mem=${h.memMiB}M${h.swProtected ? ' sw-protected' : ''}\t127.0.0.1:${h.port}\t${h.inventory}\n`);
      }
    });
  lab.command('down <name>')
    .description('stop a lab host (its QEMU, by the pid it recorded) and remove its files')
    .action(async (name: string) => {
      const stopped = await labDown(name);
      process.stdout.write(`${name}: ${stopped ? 'stopped' : 'was not running'}\n`);
    });
}
