/**
 * One line per measured row that carries op-specific figures (the probe's `extra`): what the latency
 * columns cannot say, e.g. how many pages compaction moved or whether a conversion kept integrity.
 * Each op's line is written by one small function; an op without one gets no note.
 */
import type { ResultRow } from '../results/schema.js';
import { formatNs } from '../util/units.js';

type Extra = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

function conversion(x: Extra): string {
  const ioctl = x.attributesIoctl ? 'with KVM_SET_MEMORY_ATTRIBUTES' : 'userspace part only (no attributes ioctl on this VM type)';
  const integrity = num(x.stalePages) === 0 ? `integrity ok (${num(x.integrityPages)} pages zero-filled)` : `STALE DATA in ${num(x.stalePages)} pages`;
  return `${x.vmType ?? '?'} VM, ${ioctl}; ${integrity}`;
}

const NOTES: Partial<Record<string, (x: Extra) => string>> = {
  'to-private': conversion,
  'to-shared': conversion,
  'vmm-to-private': conversion,
  'vmm-to-shared': conversion,
  'touch-private': conversion,
  'touch-shared': conversion,
  'guest-fault': (x) => `KVM_RUN without a fault (entry + exit): ${formatNs(num(x.exitOnlyNs))}`,
  'guest-refault': (x) => `KVM_RUN without a fault (entry + exit): ${formatNs(num(x.exitOnlyNs))}`,
  migrate: (x) => {
    const refused = Object.entries((x.refused ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
    return `node ${x.fromNode} -> ${x.toNode}: ${num(x.moved)}/${num(x.pages)} pages moved` +
      (refused.length ? `; refused: ${refused.map(([e, n]) => `${e} ${n}`).join(', ')}` : '') +
      (x.verifiedOnTarget !== undefined ? `; ${num(x.verifiedOnTarget)} verified on node ${x.toNode} after` : '');
  },
  'guest-convert': (x) => `${x.vmType ?? '?'} VM, ${x.hypercalls} MAP_GPA_RANGE exits; VMM answer to private ${formatNs(num(x.toPrivateVmmNs))}, to shared ${formatNs(num(x.toSharedVmmNs))}; ${num(x.stalePages) === 0 ? `integrity ok (${num(x.integrityPages)} pages)` : `STALE DATA in ${num(x.stalePages)} pages`}`,
  'gmem-numa': (x) => `mbind to node ${x.toNode}: ${num(x.onTarget)}/${num(x.pages)} pages there (get_mempolicy); alloc ${formatNs(num(x.allocNs))}, fault ${formatNs(num(x.faultNs))}`,
  compact: (x) => {
    const v = (x.vmstat ?? {}) as Record<string, number>;
    return `${num(x.pagesMoved)}/${num(x.pages)} pages of the region moved over ${num(x.passes)} compactions; system: ${v.pgmigrate_success ?? 0} pages migrated`;
  },
  stress: (x) => {
    const secs = num(x.elapsedNs) / 1e9;
    const ops = (x.ops ?? {}) as Record<string, { calls: number; p99: number }>;
    const mix = Object.entries(ops).map(([name, o]) => `${name} p99 ${formatNs(o.p99)}`).join(', ');
    const integ = (x.integrity ?? {}) as Record<string, number>;
    const mem = (x.memAvailable ?? {}) as Record<string, number>;
    const delta = (mem.afterBytes ?? 0) - (mem.beforeBytes ?? 0);
    return `${Math.round(num(x.calls) / Math.max(secs, 1e-9))} calls/s; ${mix}; ` +
      `integrity ${integ.mismatchedPages ? `FAILED (${integ.mismatchedPages} pages)` : `ok (${integ.touchesChecked ?? 0} touches)`}; ` +
      `MemAvailable after vs before ${delta >= 0 ? '+' : '-'}${mib(Math.abs(delta))}` +
      (mem.pressureBytes ? `; under pressure of ${mib(mem.pressureBytes)}` : '');
  },
};

export function rowNote(r: ResultRow): string | null {
  const f = NOTES[r.op];
  return f && r.extra ? f(r.extra) : null;
}
