/**
 * TODO-MERGE: STUB. The real src/influx/push.ts (issue: push + dashboards) is written on another
 * branch; when it is merged, this file is replaced by it. nightly only needs
 * `pushRun(runDir, target)`: write a run's points (schema.ts summaryToPoints) to InfluxDB.
 * This stub does exactly that, minimally, so nightly works and is tested on this branch.
 */
import { readSummary } from '../results/store.js';
import { connectInflux, redactUrl, type InfluxTarget } from './connect.js';
import { summaryToPoints } from './schema.js';

export async function pushRun(runDir: string, target: InfluxTarget): Promise<{ points: number }> {
  const summary = await readSummary(runDir);
  const points = summaryToPoints(summary);
  const influx = connectInflux(target);
  try {
    await influx.createDatabase(target.db);
    await influx.writePoints(
      points.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampNs.toString() })),
      { precision: 'n' },
    );
  } catch (err) {
    throw new Error(`push to ${redactUrl(target.url)} (db ${target.db}) failed: ${(err as Error).message}`);
  }
  return { points: points.length };
}
