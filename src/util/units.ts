/** Byte sizes and durations as people write and read them. */

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i;
const MULT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "4K", "2M", "2MiB", "64 MB", 4096 -> bytes (binary multiples: a granule is never decimal). */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = SIZE_RE.exec(v);
  if (!m) throw new Error(`not a size: "${v}" (write e.g. 4K, 2M, 1G or a number of bytes)`);
  const n = Number(m[1]) * MULT[m[2].toLowerCase()];
  if (!Number.isInteger(n)) throw new Error(`not a whole number of bytes: "${v}"`);
  return n;
}

/** 4096 -> "4K", 2097152 -> "2M", 3000 -> "3000" */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

/** nanoseconds -> "812ns", "40.2us", "1.30ms", "2.01s" with 3 significant digits */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '-';
  const units: [string, number][] = [
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
  ];
  for (const [u, d] of units) if (Math.abs(ns) >= d) return `${sig3(ns / d)}${u}`;
  return `${Math.round(ns)}ns`;
}

function sig3(x: number): string {
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
