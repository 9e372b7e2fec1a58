/**
 * Reserve hugetlb pages on a host for the duration of a run (inventory `hugetlbPages`), and give
 * the host back as it was. Needs root on the host; without it the hugetlb rows say why they could
 * not run (the probe reports the missing reservation), the run goes on.
 */
import type { Transport } from '../transport/transport.js';

const NR = '/proc/sys/vm/nr_hugepages';

export interface Reservation {
  /** what the host had before; restore() writes it back */
  previous: number;
  granted: number;
  restore(): Promise<void>;
}

async function readNr(t: Transport): Promise<number> {
  const r = await t.exec(['cat', NR]);
  const n = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !Number.isInteger(n)) throw new Error(`${t.host}: cannot read ${NR}: ${r.stderr.trim()}`);
  return n;
}

async function writeNr(t: Transport, n: number): Promise<void> {
  const r = await t.exec(['sh', '-c', `echo ${Math.floor(n)} > ${NR}`]);
  if (r.exitCode !== 0) throw new Error(`${t.host}: cannot write ${NR} (root needed): ${r.stderr.trim()}`);
}

/** Raise the reservation to at least `pages`; returns null when the host already has as many. */
export async function reserveHugePages(t: Transport, pages: number): Promise<Reservation | null> {
  const previous = await readNr(t);
  if (previous >= pages) return null;
  await writeNr(t, pages);
  // the kernel grants what it can find contiguous; the probe reports any shortfall per job
  const granted = await readNr(t);
  return { previous, granted, restore: () => writeNr(t, previous) };
}
