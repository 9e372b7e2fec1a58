/** gmembench lab up|status|down: QEMU lab hosts of other kernels, reachable over loopback SSH (src/lab/). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { alive, labDown, labList, labUp, sessionLeader } from '../../lab/host.js';
import { parseMemMiB } from '../../lab/qemu.js';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what}: a positive integer`);
  return n;
};

const owner = (v: string): number | 'none' => {
  if (v === 'none') return 'none';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || !alive(n)) throw new InvalidArgumentError('a running process id, or none');
  return n;
};

interface UpFlags {
  swProtected: boolean;
  kernel: string;
  modules?: string;
  numa: number;
  mem: string;
  cpus?: number;
  accel?: string;
  attach: boolean;
  owner?: number | 'none';
  bootTimeout: number;
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('lab hosts: other kernels under QEMU, measured over SSH (run SUITE --hosts <printed inventory>)');
  lab
    .command('up <name>')
    .description('boot a lab host; prints, as its last line, the path of an inventory file for it')
    .option(
      '--kernel <spec>',
      'debian:7.3, debian:6.12 (any debian:X.Y the archive has) or the path of a bzImage (with --modules)',
      'debian:7.3',
    )
    .option('--modules <dir>', 'lib/modules/<release> of a bzImage given to --kernel (with modules.dep)')
    .option('--numa <n>', 'NUMA nodes', int('--numa'), 1)
    .option('--mem <size>', 'guest memory (2G, 1536M), split evenly over the nodes', '2G')
    .option('--cpus <n>', 'virtual CPUs, a multiple of --numa (default: 2, or --numa if more)', int('--cpus'))
    .option(
      '--sw-protected',
      'KVM modules rebuilt with CONFIG_KVM_SW_PROTECTED_VM: VM type 1 and the attributes ioctl (debian: kernels; built once)',
      false,
    )
    .option('--accel <kvm|tcg>', 'QEMU accelerator (default: kvm where this machine can run a normal guest, else tcg)')
    .option(
      '--owner <pid|none>',
      'the host goes down when this process ends (default: the session leader: the terminal or CI job); none: it runs until lab down',
      owner,
    )
    .option('--attach', 'stay in the foreground; the host goes down on Ctrl-C or when this process dies', false)
    .option('--boot-timeout <s>', 'seconds to wait for SSH per boot attempt', int('--boot-timeout'), 90)
    .action(async (name: string, o: UpFlags) => {
      if (o.accel && o.accel !== 'kvm' && o.accel !== 'tcg') throw new InvalidArgumentError('--accel: kvm or tcg');
      const log = (l: string) => process.stderr.write(`lab: ${l}\n`);
      // Ctrl-C while booting takes the half-booted host down (the watchdog would too, a second later)
      const stop = () => {
        void labDown(name).finally(() => process.exit(130));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const st = await labUp({
        name,
        kernel: o.kernel,
        modules: o.modules,
        numa: o.numa,
        memMiB: parseMemMiB(o.mem),
        cpus: o.cpus ?? Math.max(2, o.numa),
        accel: o.accel as 'kvm' | 'tcg' | undefined,
        bootTimeout: o.bootTimeout,
        log,
        swProtected: o.swProtected,
        owner: o.attach ? process.pid : (o.owner ?? sessionLeader()),
      });
      process.stdout.write(`${st.inventory}\n`);
      if (!o.attach) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        return;
      }
      log(`attached: Ctrl-C takes ${name} down`);
      // a pending promise alone does not keep Node running: a timer does, until the signal
      setInterval(() => undefined, 1 << 30);
      await new Promise(() => {});
    });
  lab
    .command('status')
    .description('the lab hosts and whether their QEMU runs')
    .option('--json', 'JSON')
    .action(async (o: { json?: boolean }) => {
      const hosts = await labList();
      if (o.json) {
        process.stdout.write(JSON.stringify(hosts, null, 2) + '\n');
        return;
      }
      if (!hosts.length) {
        process.stdout.write('no lab hosts\n');
        return;
      }
      for (const h of hosts) {
        process.stdout.write(
          `${h.name}\t${h.running ? 'up' : 'down'}\t${h.release}\t${h.accel}\tnuma=${h.numa} cpus=${h.cpus} mem=${h.memMiB}M${h.swProtected ? ' sw-protected' : ''}\t127.0.0.1:${h.port}\towner=${h.owner}\t${h.inventory}\n`,
        );
      }
    });
  lab
    .command('down <name>')
    .description('stop a lab host (its QEMU, by the pid it recorded) and remove its files')
    .action(async (name: string) => {
      const stopped = await labDown(name);
      process.stdout.write(`${name}: ${stopped ? 'stopped' : 'was not running'}\n`);
    });
}
