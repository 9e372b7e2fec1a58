/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) with 3 significant digits, built from the
 * probe's buckets, merged across threads, repetitions and hosts, and stored in the standard
 * compressed base64 form (readable by every HdrHistogram implementation).
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** 1 ns to one hour; 3 significant digits, the resolution the probe's buckets have. */
const HDR_OPTIONS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000_000,
  numberOfSignificantValueDigits: 3 as const,
  bitBucketSize: 64 as const,
  autoResize: true,
  useWebAssembly: false,
};

export function newHistogram(): Histogram {
  return hdr.build(HDR_OPTIONS);
}

export function fromBuckets(buckets: readonly (readonly [number, number])[], into = newHistogram()): Histogram {
  for (const [value, count] of buckets) into.recordValueWithCount(Math.max(1, value), count);
  return into;
}

export function merge(into: Histogram, other: Histogram): Histogram {
  into.add(other);
  return into;
}

/** The histogram with every recorded value times k (compare --reference syscall: a row relative to its null syscall). */
export function scaled(h: Histogram, k: number): Histogram {
  const out = newHistogram();
  const it = (h as hdr.JsHistogram).recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    out.recordValueWithCount(Math.max(1, Math.round(v.valueIteratedTo * k)), v.countAtValueIteratedTo);
  }
  return out;
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, 64, false);
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export function percentiles(h: Histogram): Percentiles {
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
  };
}

/** [percentile, value] points for a latency percentile curve (plots). */
export function percentileCurve(
  h: Histogram,
  points = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100],
): [number, number][] {
  return points.map((p) => [p, p === 0 ? h.minNonZeroValue : h.getValueAtPercentile(p)]);
}
