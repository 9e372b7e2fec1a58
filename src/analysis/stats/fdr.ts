import padjust from '@stdlib/stats-padjust';

/**
 * Benjamini-Hochberg: which of these p-values (m tests in all, m >= their number) are discoveries
 * at false-discovery rate q. When nothing changed at all it holds the chance of any discovery to
 * q, as Bonferroni does, and keeps more power when many tests change together.
 */
export function benjaminiHochberg(ps: readonly number[], m: number, q: number): boolean[] {
  if (ps.length === 0) return [];
  return padjust([...ps], 'bh', Math.max(m, ps.length)).map((p) => p <= q);
}
