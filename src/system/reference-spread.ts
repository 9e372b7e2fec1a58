/**
 * Was this host noisy while it was measured? The fingerprint's state (check.ts) says what could
 * make it so; the null syscall the probe times beside every pass (probe/ref.c, each repetition's
 * `syscallNs`) says what it did. On a quiet host it holds within a few percent over a run (59 ns,
 * 1% run to run, on one instance here); where the host's own load reaches the guest's kernel
 * (nested under kvm_pvm) it moved 440-740 ns inside one smoke run, and every op that enters the
 * kernel moved with it.
 */
import type { ResultRow } from '../results/schema.js';
import { formatNs } from '../util/units.js';
import type { SystemFinding } from './check.js';

/** p90 / p10 of the reference over a run above which the run is called noisy */
export const REFERENCE_SPREAD_LIMIT = 1.25;
/** fewer passes than this say too little about the run */
const MIN_PASSES = 10;

export interface ReferenceSpread {
  passes: number;
  p10: number;
  p90: number;
}

/** The null syscall of every pass of these rows that timed one, ascending (ns). */
export function referenceTimes(rows: readonly Pick<ResultRow, 'repetitions'>[]): number[] {
  return rows.flatMap((r) => r.repetitions.flatMap((x) => x.syscallNs ?? [])).sort((a, b) => a - b);
}

/** The reference's spread over one host's rows; null without enough passes that timed it. */
export function referenceSpread(rows: readonly Pick<ResultRow, 'repetitions'>[]): ReferenceSpread | null {
  const ns = referenceTimes(rows);
  if (ns.length < MIN_PASSES) return null;
  const q = (p: number) => ns[Math.round(p * (ns.length - 1))];
  return { passes: ns.length, p10: q(0.1), p90: q(0.9) };
}

/** A warning when the reference moved more than REFERENCE_SPREAD_LIMIT over the run, else null. */
export function checkReferenceSpread(rows: readonly Pick<ResultRow, 'repetitions'>[]): SystemFinding | null {
  const s = referenceSpread(rows);
  if (!s || s.p90 <= s.p10 * REFERENCE_SPREAD_LIMIT) return null;
  return {
    level: 'warn',
    check: 'reference',
    message:
      `entering the kernel moved ${(s.p90 / s.p10).toFixed(2)}x during the run (a null syscall timed beside each ` +
      `pass: ${formatNs(s.p10)} to ${formatNs(s.p90)}, p10 to p90 over ${s.passes} passes): the host's own ` +
      `load reaches this machine's kernel, so every op that enters it moves with it; one run's times are not ` +
      `comparable to another's: compare several runs per side (compare scales each row by its own reference)`,
  };
}
