/**
 * `npm run bench [-- --only NAME[,NAME]]`: the harness's benchmarks, one section per file in
 * bench/. Each section prints its own figures; nothing here asserts (speed is measured, not tested).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** sections in the order they run; a missing file is skipped (its area has not landed) */
const SECTIONS = [
  'probe-floor',
  'controller',
  'memory',
  'influx',
  'ssh-overhead',
  'regress-quality',
  'compare-quality',
  'bisect-quality',
  'noise',
  'paired',
];

async function main(): Promise<void> {
  const i = process.argv.indexOf('--only');
  const only = i >= 0 ? new Set(process.argv[i + 1]?.split(',')) : null;
  for (const name of SECTIONS) {
    if (only && !only.has(name)) continue;
    const file = resolve(import.meta.dirname, `${name}.ts`);
    if (!existsSync(file)) continue;
    process.stdout.write(`\n=== ${name} ===\n`);
    const mod = (await import(file)) as { run(): Promise<void> };
    const t0 = performance.now();
    await mod.run();
    process.stdout.write(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
