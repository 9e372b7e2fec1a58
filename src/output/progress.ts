/**
 * Live progress for per-host work, with listr2: a task per host with its current job when the
 * output is a terminal, a plain line log otherwise (CI, cron, pipes), nothing with `silent`.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'silent';

export interface HostTask<T> {
  title: string;
  run(report: (message: string) => void): Promise<T>;
  /** the line shown when the task ends */
  describe(result: T): { ok: boolean; line: string };
}

export async function runWithProgress<T>(
  tasks: HostTask<T>[],
  opts: { concurrency: number; mode?: ProgressMode },
): Promise<T[]> {
  const mode = opts.mode ?? 'auto';
  const renderer =
    mode === 'silent' ? 'silent' : mode === 'tty' || (mode === 'auto' && process.stderr.isTTY) ? 'default' : 'simple';
  const results: T[] = new Array(tasks.length);
  // progress goes to stderr: stdout keeps only the table or JSON a user pipes on
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr(
    tasks.map((t, i) => ({
      title: t.title,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        results[i] = await t.run((message) => {
          // a plain log interleaves the hosts' lines: each names its host
          task.output = renderer === 'simple' ? `${t.title}: ${message}` : message;
        });
        const { ok, line } = t.describe(results[i]);
        task.title = `${t.title}: ${line}`;
        if (!ok) throw new Error(line);
      },
    })),
    {
      concurrent: Math.max(1, opts.concurrency),
      exitOnError: false,
      renderer,
      fallbackRenderer: 'simple',
      rendererOptions: { collapseErrors: false, logger },
      fallbackRendererOptions: { logger },
      silentRendererCondition: mode === 'silent',
      // listr2's own SIGINT handler calls process.exit: the run's AbortSignal must stop the hosts
      // instead (remote probes killed, locks released, summary finished)
      registerSignalListeners: false,
    },
  );
  try {
    await list.run();
  } catch {
    /* failures are reported per task and returned in results */
  }
  return results;
}

/** m:ss or h:mm:ss */
export function formatDuration(ms: number): string {
  const t = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * "[5/64] gmem fault 4K t1 (0:12 elapsed, ~2:30 left)": the ETA is the mean time of the jobs done
 * so far times the jobs left of the suite (none before the first job ends).
 */
export function jobProgressLine(message: string, done: number, total: number, elapsedMs: number): string {
  if (!(total > 0 && done < total)) return message;
  const eta = done > 0 ? `, ~${formatDuration((elapsedMs / done) * (total - done))} left` : '';
  return `[${done + 1}/${total}] ${message} (${formatDuration(elapsedMs)} elapsed${eta})`;
}
