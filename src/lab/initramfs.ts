/**
 * The lab host's root file system: an initramfs of busybox-static, dropbear (with the libraries
 * it links) and the kernel modules the lab needs, built once per kernel and cached; each host then
 * gets a small second archive with its own keys (the kernel unpacks concatenated archives in order).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { labCacheDir } from './paths.js';

/** The modules a lab host loads, in this order after their dependencies (lab-facts: irqbypass, ccp, kvm, kvm-amd, ..., virtio_net). */
export const LAB_MODULES = [
  'irqbypass',
  'ccp',
  'kvm',
  'kvm-amd',
  'kvm-intel',
  'failover',
  'net_failover',
  'virtio_net',
];

const BUSYBOX = '/bin/busybox';
const DROPBEAR = '/usr/sbin/dropbear';

export function labToolsMissing(): string | null {
  const tools: [string[], string][] = [
    [[BUSYBOX], 'busybox-static'],
    [[DROPBEAR], 'dropbear-bin'],
    [['/usr/bin/dropbearkey'], 'dropbear-bin'],
    [['/usr/bin/cpio', '/bin/cpio'], 'cpio'],
    [['/usr/bin/xz', '/bin/xz'], 'xz-utils'],
    [['/usr/bin/qemu-system-x86_64'], 'qemu-system-x86'],
    [['/usr/bin/ssh-keygen'], 'openssh-client'],
    [['/usr/bin/setpriv', '/bin/setpriv'], 'util-linux'],
    [['/usr/sbin/depmod', '/sbin/depmod'], 'kmod'],
  ];
  for (const [paths, pkg] of tools) {
    if (!paths.some((p) => existsSync(p)))
      return `${paths[0]} is missing (apt-get install ${pkg}; scripts/setup-test-deps.sh installs it)`;
  }
  return null;
}

/** Modules dir of an extracted kernel tree (bookworm packages use /lib/modules, trixie /usr/lib/modules). */
export function modulesDirOf(tree: string, release: string): string {
  for (const d of [resolve(tree, 'usr/lib/modules', release), resolve(tree, 'lib/modules', release)])
    if (existsSync(d)) return d;
  throw new Error(`lab: no modules for ${release} under ${tree}`);
}

/** The wanted modules with their dependencies (modules.dep), dependencies first; absent ones are skipped. */
export function moduleLoadOrder(modulesDep: string, wanted: string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    deps.set(m[1], m[2].split(/\s+/).filter(Boolean));
    byName.set(
      basename(m[1])
        .replace(/\.ko(\.(xz|zst|gz))?$/, '')
        .replace(/-/g, '_'),
      m[1],
    );
  }
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    for (const d of deps.get(path) ?? []) visit(d);
    order.push(path);
  };
  for (const w of wanted) {
    const p = byName.get(w.replace(/-/g, '_'));
    if (p) visit(p);
  }
  return order;
}

async function sharedLibs(bin: string): Promise<string[]> {
  const out = (await execa('ldd', [bin])).stdout;
  return [...out.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]);
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run /var/log
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t hugetlbfs none /dev/hugepages 2>/dev/null
for m in $(cat /etc/lab-modules); do
  insmod "/lib/modules/lab/$m" $(grep "^$(basename "$m" .ko) " /etc/lab-module-params | cut -d' ' -f2-) 2>/dev/null || echo "gmembench-lab: insmod $m failed"
done
hostname "$(cat /etc/hostname)"
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "gmembench-lab: kvm $( [ -e /dev/kvm ] && echo present || echo absent ), nodes $(cat /sys/devices/system/node/online 2>/dev/null)"
dropbear -F -E -s -p 22 -r /etc/dropbear/host_key &
echo "gmembench-lab: ready"
while true; do sleep 3600; done
`;

/**
 * root's login shell. dropbear sends no exit status at all for a command killed by a signal it has
 * no name for (SIGBUS among them), which an SSH client cannot tell from a lost connection; so the
 * command runs as a child here, in a session of its own (its shell's pid is its process group, as
 * the SSH transport's kill expects), and its end comes back as an exit code (128 + signal).
 */
const LOGIN_SHELL = `#!/bin/sh
[ "$1" = -c ] || exec /bin/sh "$@"
setsid /bin/sh -c "$2"
`;

/** The kernel's part of the initramfs (busybox, dropbear, modules), cached by kernel release (+ module flavour). */
export async function baseInitramfs(opts: {
  release: string;
  modulesDir: string;
  flavour: string;
  extraModules?: string;
}): Promise<string> {
  // the recipe is part of the name: a changed /init, login shell or module list builds a new archive
  const recipe = createHash('sha256')
    .update([INIT, LOGIN_SHELL, ...LAB_MODULES, statSync(BUSYBOX).size, statSync(DROPBEAR).size].join('\0'))
    .digest('hex')
    .slice(0, 12);
  const out = resolve(labCacheDir(), 'initramfs', `${opts.release}-${opts.flavour}-${recipe}.cpio.gz`);
  if (existsSync(out)) return out;
  const root = `${out}.root-${process.pid}`;
  await rm(root, { recursive: true, force: true });
  for (const d of [
    'bin',
    'sbin',
    'etc/dropbear',
    'lib/modules/lab',
    'root/.ssh',
    'usr/bin',
    'usr/sbin',
    'proc',
    'sys',
    'dev',
    'tmp',
    'dev/hugepages',
  ]) {
    await mkdir(resolve(root, d), { recursive: true });
  }
  await copyFile(BUSYBOX, resolve(root, 'bin/busybox'));
  await copyFile(DROPBEAR, resolve(root, 'bin/dropbear'));
  for (const lib of await sharedLibs(DROPBEAR)) {
    await mkdir(resolve(root, '.' + dirname(lib)), { recursive: true });
    await copyFile(lib, resolve(root, '.' + lib));
  }
  // modules: the wanted ones with their dependencies, decompressed so busybox insmod loads them
  const order = moduleLoadOrder(await readFile(resolve(opts.modulesDir, 'modules.dep'), 'utf8'), LAB_MODULES);
  const names: string[] = [];
  for (const rel of order) {
    const override = opts.extraModules ? resolve(opts.extraModules, basename(rel).replace(/\.(xz|zst|gz)$/, '')) : null;
    const name = basename(rel).replace(/\.(xz|zst|gz)$/, '');
    const dest = resolve(root, 'lib/modules/lab', name);
    if (override && existsSync(override)) await copyFile(override, dest);
    else if (rel.endsWith('.xz'))
      await writeFile(dest, (await execa('xz', ['-dc', resolve(opts.modulesDir, rel)], { encoding: 'buffer' })).stdout);
    else if (rel.endsWith('.zst'))
      await writeFile(
        dest,
        (await execa('zstd', ['-dc', resolve(opts.modulesDir, rel)], { encoding: 'buffer' })).stdout,
      );
    else if (rel.endsWith('.gz'))
      await writeFile(
        dest,
        (await execa('gzip', ['-dc', resolve(opts.modulesDir, rel)], { encoding: 'buffer' })).stdout,
      );
    else await copyFile(resolve(opts.modulesDir, rel), dest);
    names.push(name);
  }
  await writeFile(resolve(root, 'etc/lab-modules'), names.join('\n') + '\n');
  await writeFile(resolve(root, 'etc/lab-module-params'), '');
  await writeFile(resolve(root, 'init'), INIT);
  await chmod(resolve(root, 'init'), 0o755);
  await writeFile(resolve(root, 'bin/lab-shell'), LOGIN_SHELL);
  await chmod(resolve(root, 'bin/lab-shell'), 0o755);
  await writeFile(resolve(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/lab-shell\n');
  await writeFile(resolve(root, 'etc/group'), 'root:x:0:\n');
  await writeFile(resolve(root, 'etc/shells'), '/bin/sh\n/bin/lab-shell\n');
  await chmod(resolve(root, 'root'), 0o700);
  await chmod(resolve(root, 'root/.ssh'), 0o700);
  await mkdir(dirname(out), { recursive: true });
  await cpioGz(root, `${out}.tmp`);
  await rename(`${out}.tmp`, out);
  await rm(root, { recursive: true, force: true });
  return out;
}

async function cpioGz(root: string, out: string): Promise<void> {
  await execa('sh', [
    '-c',
    'cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -1 > "$2"',
    'sh',
    root,
    out,
  ]);
}

/** The host's own part: host key, authorized key, host name; appended to the base archive. */
export async function hostInitramfs(
  base: string,
  dir: string,
  opts: { name: string; hostKey: string; authorizedKey: string },
): Promise<string> {
  const root = resolve(dir, 'initramfs-root');
  await rm(root, { recursive: true, force: true });
  await mkdir(resolve(root, 'etc/dropbear'), { recursive: true });
  await mkdir(resolve(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await copyFile(opts.hostKey, resolve(root, 'etc/dropbear/host_key'));
  await chmod(resolve(root, 'etc/dropbear/host_key'), 0o600);
  await writeFile(resolve(root, 'root/.ssh/authorized_keys'), opts.authorizedKey, { mode: 0o600 });
  await chmod(resolve(root, 'root'), 0o700);
  await chmod(resolve(root, 'root/.ssh'), 0o700);
  await writeFile(resolve(root, 'etc/hostname'), `${opts.name}\n`);
  const own = resolve(dir, 'host.cpio.gz');
  await cpioGz(root, own);
  await rm(root, { recursive: true, force: true });
  const out = resolve(dir, 'initrd.img');
  await execa('sh', ['-c', 'cat "$1" "$2" > "$3"', 'sh', base, own, out]);
  return out;
}
