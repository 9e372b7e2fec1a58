/**
 * How each job is measured (--processes, --pin, --settle), one set of options for every command
 * that measures (run, nightly, bisect-check), with the defaults chosen by measurement (README,
 * "Noise"; bench/noise.ts): a nightly or a bisection that measured differently from `run` would
 * judge the configuration the noise benchmark left behind.
 */
import type { Command } from 'commander';
import { DEFAULT_PIN, DEFAULT_PROCESSES, type RunOptions } from '../benchmark/run.js';
import { cpuList, integer } from './options.js';
import type { Measurement } from '../results/measurement.js';

export function addMeasurementOptions(cmd: Command): Command {
  return cmd
    .option(
      '--processes <k>',
      `up to k separate probe processes share each job's repetitions, interleaved with the other jobs`,
      integer(1, 100),
      DEFAULT_PROCESSES,
    )
    .option(
      '--pin <cpus>',
      "thread placement: auto (pin to CPUs the probe chooses, the highest first), none (the scheduler's), or a CPU list such as 1 or 0,1",
      cpuList,
      DEFAULT_PIN,
    )
    .option(
      '--settle',
      'drop caches and compact memory before every probe process (root only; warns and goes on otherwise)',
    );
}

/** what runSuite takes of them */
export type MeasurementOptions = Pick<RunOptions, 'processes' | 'pin' | 'settle'>;

/** the measurement options of a parsed command, for runSuite */
export function measurementOf(o: Record<string, unknown>): MeasurementOptions {
  return { processes: o.processes as number, pin: o.pin as string, settle: !!o.settle };
}

/**
 * As measurementOf, each option not given on the command line taken from `like` (the measurement of
 * the runs these will be compared with): a bisection measures as its baseline did.
 */
export function measurementLike(cmd: Command, like: Measurement | undefined): MeasurementOptions {
  const o = measurementOf(cmd.opts());
  if (!like) return o;
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  return {
    processes: given('processes') ? o.processes : like.processes,
    pin: given('pin') ? o.pin : like.pin,
    settle: given('settle') ? o.settle : like.settle,
  };
}
