/** How a run measured (summary.measurement): its label, and the one a set of runs shares. */
import type { RunSummary } from './schema.js';

export type Measurement = NonNullable<RunSummary['measurement']>;

/** "3 processes, pin auto" (", settle", ", pair shmem,gmem" when set) */
export function measurementLabel(m: Measurement): string {
  return (
    `${m.processes} process${m.processes === 1 ? '' : 'es'}, pin ${m.pin}` +
    (m.settle ? ', settle' : '') +
    (m.pair ? `, pair ${m.pair.join(',')}` : '')
  );
}

/** the measurement every run recorded alike; undefined when they differ or one recorded none */
export function sharedMeasurement(runs: RunSummary[]): Measurement | undefined {
  const labels = new Set(runs.map((r) => (r.measurement ? measurementLabel(r.measurement) : '')));
  return labels.size === 1 && !labels.has('') ? runs[0].measurement : undefined;
}
