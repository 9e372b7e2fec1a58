/** `gmembench hosts`: one row per host with what it can measure (from its probe fingerprint). */
import type { HostEntry } from '../results/schema.js';
import type { Fingerprint } from '../probe/fingerprint.js';
import { formatSize } from '../util/units.js';
import { formatColumns } from './columns.js';
import { hostFailureText } from './host-failure.js';

export function capabilityCells(fp: Fingerprint): string[] {
  const caps = fp.kvm?.caps;
  const kvm = fp.kvm?.present ? `api ${fp.kvm.apiVersion ?? '?'}` : `no${fp.kvm?.reason ? ` (${fp.kvm.reason})` : ''}`;
  const vmTypes = caps?.vmTypeNames?.length ? caps.vmTypeNames.join(',') : '-';
  const gmem = !caps
    ? '-'
    : caps.guestMemfd
      ? caps.guestMemfdFlagNames?.length
        ? caps.guestMemfdFlagNames.join(',')
        : 'yes'
      : 'no';
  const h = fp.hugetlb;
  const hugetlb = h?.defaultSize ? `${formatSize(h.defaultSize)} ${h.free}/${h.total} free` : 'no';
  const secretmem = fp.secretmem?.available ? 'yes' : `no${fp.secretmem?.reason ? ` (${fp.secretmem.reason})` : ''}`;
  return [
    fp.kernel?.release ?? '?',
    fp.kernel?.machine ?? '?',
    kvm,
    vmTypes,
    gmem,
    String(fp.numa?.nodes ?? '?'),
    hugetlb,
    secretmem,
  ];
}

export function formatHostsTable(entries: HostEntry[]): string {
  const rows = entries.map((e) =>
    e.status === 'ok' && e.fingerprint
      ? [e.name, 'ok', ...capabilityCells(e.fingerprint)]
      : [e.name, `failed (${e.subStatus ?? 'error'})`, '-', '-', '-', '-', '-', '-', '-', '-'],
  );
  const table = formatColumns(
    [
      { header: 'host' },
      { header: 'status' },
      { header: 'kernel' },
      { header: 'arch' },
      { header: 'kvm' },
      { header: 'vm types' },
      { header: 'guest_memfd flags' },
      { header: 'numa', align: 'right' },
      { header: 'hugetlb' },
      { header: 'secretmem' },
    ],
    rows,
  );
  const errors = entries.filter((e) => e.status !== 'ok').map((e) => `host ${e.name}: ${hostFailureText(e)}`);
  return errors.length > 0 ? `${table}\n\n${errors.join('\n')}` : table;
}
