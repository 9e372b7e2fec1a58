/**
 * Keeps a run's summary.json current while the run goes on: every finished row and host is written
 * at once (atomically, one write at a time), so an interrupted run keeps what it measured.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostEntry, ResultRow, RunSummary } from './schema.js';
import { writeSummary } from './store.js';

export class RunWriter {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly runDir: string, readonly summary: RunSummary) {}

  addRow(row: ResultRow): Promise<void> {
    this.summary.results.push(row);
    return this.flush();
  }

  setHost(entry: HostEntry): Promise<void> {
    const i = this.summary.hosts.findIndex((h) => h.name === entry.name);
    if (i >= 0) this.summary.hosts[i] = entry;
    else this.summary.hosts.push(entry);
    return this.flush();
  }

  async writeRaw(name: string, samples: number[][]): Promise<string> {
    const rel = join('raw', `${name}.json`);
    await mkdir(join(this.runDir, 'raw'), { recursive: true });
    await writeFile(join(this.runDir, rel), JSON.stringify({ unit: 'ns', repetitions: samples }));
    return rel;
  }

  finish(): Promise<void> {
    this.summary.finishedAt = new Date().toISOString();
    return this.flush();
  }

  /** Serialise writes; each writes the whole summary as it is now. */
  flush(): Promise<void> {
    const next = this.chain.then(() => writeSummary(this.runDir, this.summary));
    this.chain = next.catch(() => undefined);
    return next.then(() => undefined);
  }
}
