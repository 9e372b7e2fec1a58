/**
 * `run --settle`: put the host's memory in the same state before every probe process: write back
 * and drop the page cache, then compact memory, so each job allocates from a compacted free list
 * rather than from whatever the previous job (or another program) left. Root only: without it the
 * run goes on unsettled and says so.
 */
import type { Transport } from '../transport/transport.js';

const SETTLE = 'sync && echo 3 > /proc/sys/vm/drop_caches && echo 1 > /proc/sys/vm/compact_memory';

export type SettleCheck = { ok: true } | { ok: false; reason: string };

/** Whether this host lets us settle (root, and both files writable). */
export async function checkSettle(t: Transport): Promise<SettleCheck> {
  const r = await t.exec([
    'sh',
    '-c',
    'id -u; test -w /proc/sys/vm/drop_caches && test -w /proc/sys/vm/compact_memory && echo writable',
  ]);
  const [uid, writable] = r.stdout.trim().split('\n');
  if (uid !== '0')
    return { ok: false, reason: `--settle needs root on ${t.host} (uid ${uid || '?'}): memory not settled` };
  if (writable !== 'writable')
    return {
      ok: false,
      reason: `--settle: /proc/sys/vm/drop_caches or compact_memory is not writable on ${t.host}: memory not settled`,
    };
  return { ok: true };
}

export async function settle(t: Transport, signal?: AbortSignal): Promise<void> {
  const r = await t.exec(['sh', '-c', SETTLE], { signal, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`${t.host}: --settle failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}
