/**
 * Keeps a run's summary.json current while the run goes on: every finished row and host is written
 * at once (atomically, one write at a time), so an interrupted run keeps what it measured. A write
 * that fails (a full disk, a read-only folder) is kept as `failure`, with how many rows the last
 * complete summary.json holds, and `onFailure` is told once so the run can stop measuring.
 */
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostEntry, ResultRow, RunSummary } from './schema.js';
import { makeDir, ResultsWriteError, SUMMARY_FILE, summaryText, writeSummary } from './store.js';

export class RunWriter {
  private chain: Promise<unknown> = Promise.resolve();
  /** rows in the last summary.json written completely: what is safely on disk */
  rowsOnDisk = 0;
  /** writes done so far */
  writes = 0;
  /** the first write that failed */
  failure?: ResultsWriteError;
  /** called once, on the first failed write */
  onFailure?: (err: ResultsWriteError) => void;

  constructor(readonly runDir: string, readonly summary: RunSummary) {}

  get summaryFile(): string {
    return join(this.runDir, SUMMARY_FILE);
  }

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
    const file = join(this.runDir, rel);
    try {
      await makeDir(join(this.runDir, 'raw'));
      await writeFile(file, JSON.stringify({ unit: 'ns', repetitions: samples }));
    } catch (err) {
      // a half-written raw file is this writer's own: it goes
      if (!(err instanceof ResultsWriteError)) await unlink(file).catch(() => undefined);
      throw this.failed(err instanceof ResultsWriteError ? err : new ResultsWriteError(file, 'write', (err as NodeJS.ErrnoException).code, err));
    }
    return rel;
  }

  finish(): Promise<void> {
    this.summary.finishedAt = new Date().toISOString();
    return this.flush();
  }

  /** Serialise writes; each writes the whole summary as it is when its turn comes. */
  flush(): Promise<void> {
    const next = this.chain.then(async () => {
      const rows = this.summary.results.length;
      const text = summaryText(this.summary);
      try {
        await writeSummary(this.runDir, this.summary, text);
      } catch (err) {
        throw this.failed(err instanceof ResultsWriteError ? err : new ResultsWriteError(this.summaryFile, 'write', (err as NodeJS.ErrnoException).code, err));
      }
      this.rowsOnDisk = rows;
      this.writes++;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private failed(err: ResultsWriteError): ResultsWriteError {
    if (!this.failure) {
      this.failure = err;
      this.onFailure?.(err);
    }
    return err;
  }
}
