/**
 * Whether a host's CPU is emulated: `tcg` (QEMU's software emulator, as lab hosts on this kind of
 * machine run), `kvm` (a hardware-assisted guest: a lab host under KVM, or any VM), `none` (no
 * hypervisor seen). A lab host's inventory says it (label `emulation`); otherwise the fingerprint
 * tells: QEMU names its TCG CPU "QEMU TCG CPU", and a guest sees the CPU's hypervisor flag.
 * Timings from a TCG host say nothing about real hardware: its rows are flagged in the run table
 * and kept out of regress and InfluxDB unless --allow-emulated.
 */
import type { Fingerprint } from '../probe/fingerprint.js';
import type { HostEntry, RunSummary } from '../results/schema.js';

export type Emulation = 'tcg' | 'kvm' | 'none';

export function detectEmulation(f: Fingerprint, labels: Record<string, string> = {}): Emulation {
  const label = labels.emulation;
  if (label === 'tcg' || label === 'kvm' || label === 'none') return label;
  if (/\bTCG\b/.test(f.cpu?.model ?? '')) return 'tcg';
  return f.system?.hypervisor ? 'kvm' : 'none';
}

/** Set fingerprint.emulation on a host entry that has a fingerprint. */
export function markEmulation(entry: HostEntry): void {
  if (entry.fingerprint) entry.fingerprint.emulation = detectEmulation(entry.fingerprint, entry.labels);
}

/** A host entry's emulation (old runs: from its labels and CPU model); undefined when nothing tells. */
export function hostEmulation(h: Pick<HostEntry, 'fingerprint' | 'labels'>): Emulation | undefined {
  if (h.fingerprint) return h.fingerprint.emulation ?? detectEmulation(h.fingerprint, h.labels);
  const label = h.labels?.emulation;
  return label === 'tcg' || label === 'kvm' || label === 'none' ? label : undefined;
}

/** The hosts of a run whose rows come from an emulated CPU. */
export function emulatedHosts(summary: Pick<RunSummary, 'hosts'>): Set<string> {
  return new Set(summary.hosts.filter((h) => hostEmulation(h) === 'tcg').map((h) => h.name));
}

export const EMULATED_WHY =
  'measured under QEMU TCG emulation: the timings say nothing about real hardware (statuses and per-page outcomes do)';

/** The rows not of `hosts`, and how many of each of those hosts were left out (host -> rows). */
export function withoutHosts<T extends { host: string }>(
  rows: T[],
  hosts: ReadonlySet<string>,
): { kept: T[]; left: Map<string, number> } {
  const left = new Map<string, number>();
  const kept = rows.filter((r) => {
    if (!hosts.has(r.host)) return true;
    left.set(r.host, (left.get(r.host) ?? 0) + 1);
    return false;
  });
  return { kept, left };
}

/** The run without the rows of emulated hosts, and what was left out (host -> rows). */
export function withoutEmulated(summary: RunSummary): { summary: RunSummary; left: Map<string, number> } {
  const emulated = emulatedHosts(summary);
  if (emulated.size === 0) return { summary, left: new Map() };
  const { kept, left } = withoutHosts(summary.results, emulated);
  return { summary: { ...summary, results: kept }, left };
}

/** regress's `skipped:` line for a run whose emulated rows were left out */
export function leftOutLine(runId: string, left: Map<string, number>): string {
  return `${runId}: rows of ${describeLeft(left)} left out: measured under TCG emulation (--allow-emulated keeps them)`;
}

/** "host a (3 rows), b (5 rows)" for a message */
export function describeLeft(left: Map<string, number>): string {
  return [...left].map(([h, n]) => `${h} (${n} row${n === 1 ? '' : 's'})`).join(', ');
}
