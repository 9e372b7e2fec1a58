/** The QEMU command line of a lab host and how its accelerator is chosen. */
import { existsSync } from 'node:fs';

export interface MachineSpec {
  kernel: string;
  initrd: string;
  consoleLog: string;
  pidFile: string;
  port: number;
  cpus: number;
  numa: number;
  memMiB: number;
  accel: 'kvm' | 'tcg';
}

/**
 * KVM acceleration where this machine can run a normal guest: /dev/kvm from kvm_intel or kvm_amd.
 * A nested kvm_pvm (this project's CI machine) runs only PVM-aware guests, so TCG there.
 */
export function chooseAccel(): { accel: 'kvm' | 'tcg'; reason: string } {
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', reason: 'no /dev/kvm' };
  if (existsSync('/sys/module/kvm_pvm'))
    return { accel: 'tcg', reason: '/dev/kvm is kvm_pvm (runs only PVM-aware guests)' };
  if (existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd'))
    return { accel: 'kvm', reason: 'kvm_intel/kvm_amd' };
  return { accel: 'tcg', reason: 'no kvm_intel or kvm_amd module' };
}

/** Parse 2G, 1536M, 4096 (MiB) */
export function parseMemMiB(s: string): number {
  const m = /^(\d+)([MG]i?B?)?$/i.exec(s.trim());
  if (!m) throw new Error(`--mem ${s}: expected a size such as 2G or 1536M`);
  const n = Number(m[1]);
  return m[2] && m[2][0].toUpperCase() === 'G' ? n * 1024 : n;
}

export function qemuArgs(s: MachineSpec): string[] {
  if (s.numa < 1 || s.cpus < s.numa || s.cpus % s.numa)
    throw new Error(`--cpus ${s.cpus} --numa ${s.numa}: the CPUs must split evenly over the nodes`);
  const nodeMem = Math.floor(s.memMiB / s.numa);
  const args = [
    '-name',
    'gmembench-lab',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-vga',
    'none',
    '-machine',
    'q35',
    '-cpu',
    'max',
    // TCG with one thread for all vCPUs: with thread=multi a guest oopsed now and then in
    // __schedule with RIP inside an instruction (a jump label patched on one vCPU while another ran
    // the old translation); one thread sees its own code changes in order
    s.accel === 'kvm' ? '-enable-kvm' : '-accel',
    ...(s.accel === 'kvm' ? [] : ['tcg,thread=single']),
    // explicit sockets: with plain -smp N about 1 TCG boot in 35 oopsed in the scheduler (lab-facts)
    '-smp',
    `${s.cpus},sockets=${s.numa},cores=${s.cpus / s.numa},threads=1`,
    '-m',
    `${nodeMem * s.numa}M`,
  ];
  for (let i = 0; i < s.numa; i++) {
    const per = s.cpus / s.numa;
    const cpus = per === 1 ? `${i}` : `${i * per}-${i * per + per - 1}`;
    args.push(
      '-object',
      `memory-backend-ram,id=m${i},size=${nodeMem}M`,
      '-numa',
      `node,nodeid=${i},cpus=${cpus},memdev=m${i}`,
    );
  }
  args.push(
    '-kernel',
    s.kernel,
    '-initrd',
    s.initrd,
    '-append',
    'console=ttyS0 panic=-1 oops=panic quiet loglevel=4 rdinit=/init',
    '-no-reboot',
    '-serial',
    `file:${s.consoleLog}`,
    '-monitor',
    'none',
    // loopback only; restrict=on: the guest reaches nothing but the forwarded port
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${s.port}-:22`,
    '-device',
    'virtio-net-pci,netdev=n0,romfile=',
    '-pidfile',
    s.pidFile,
  );
  return args;
}
