/** Helpers of the benchmarks that judge real recorded runs (compare-quality, bisect-quality). */
import { isReference, scaledRep } from '../src/analysis/reference.js';
import type { RunSummary } from '../src/results/schema.js';

/** Every ok row's figures and repetitions times f: a step of f - 1 on every series. */
export function slower(run: RunSummary, f: number): RunSummary {
  const k = (v: number | null) => (v === null ? null : v * f);
  return {
    ...run,
    runId: `${run.runId}-x${f}`,
    // the null syscall (COMPARE_REFERENCE auto or syscall) is not an op: it stays as it was
    results: run.results.map((r) =>
      isReference(r)
        ? r
        : {
            ...r,
            p50: k(r.p50),
            p99: k(r.p99),
            mean: k(r.mean),
            ...(r.wall !== undefined && { wall: r.wall * f }),
            repetitions: r.repetitions.map((x) => scaledRep(x, f)),
          },
    ),
  };
}

/** k distinct indices of 0..n-1, drawn with r (a partial Fisher-Yates shuffle) */
export function pick(n: number, k: number, r: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(r() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k);
}
