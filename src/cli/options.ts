/**
 * One parser per kind of option value, for every command. Each throws commander's
 * InvalidArgumentError, so a bad value stops the command before anything runs, through one path:
 * commander prints "option '--x <v>' argument 'abc' is invalid. <why>" and main.ts exits 2 (usage).
 * What only an action can check (two options that go together, a file that must exist) throws
 * UsageError, which main.ts reports the same way.
 */
import { InvalidArgumentError } from 'commander';
import { parseSize } from '../util/units.js';
import { PATHS } from '../config/suite.js';
import type { ProgressMode } from '../output/progress.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'silent'] as const satisfies readonly ProgressMode[];

/** A bad command line found by an action: main.ts prints "gmembench <command>: <message>" and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const NUMBER_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A decimal number as written (Number('') is 0 and Number('0x10') is 16: neither is accepted). */
function decimal(v: string, expected: string): number {
  if (!NUMBER_RE.test(v)) throw new InvalidArgumentError(`expected ${expected}`);
  return Number(v);
}

/** An integer in [min, max]: counts (retries >= 0), concurrency (>= 1), segments (>= 2). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return (v) => {
    const n = decimal(v, expected);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

export const positiveInteger = integer(1);
export const count = integer(0);

/** A number >= 0 (a factor such as --noise-factor). */
export function nonNegative(v: string): number {
  const n = decimal(v, 'a number >= 0');
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

/** Node's timers hold at most 2^31-1 ms: a longer timeout would fire at once. */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const DURATION_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600 };

/** A duration in seconds: "90", "1.5", "90s", "30m", "2h", "500ms"; > 0 and within Node's timer range. */
export function seconds(v: string): number {
  const m = DURATION_RE.exec(v);
  const expected = `a duration > 0: seconds (90, 1.5) or with a unit (500ms, 90s, 30m, 2h), at most ${MAX_SECONDS} s`;
  if (!m) throw new InvalidArgumentError(`expected ${expected}`);
  const s = Number(m[1]) * UNIT_SECONDS[m[2] ?? 's'];
  if (!(s > 0) || s > MAX_SECONDS) throw new InvalidArgumentError(`expected ${expected}`);
  return s;
}

/** "0.05" or "5%" -> 0.05 (NaN when neither). */
function fractionOrPercent(v: string): number {
  const pct = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(v);
  if (pct) return Number(pct[1]) / 100;
  return NUMBER_RE.test(v) ? Number(v) : NaN;
}

/** A share: 0 < x <= 1 (or at most `max`), written 0.5 or 50%. */
export function fraction(max = 1): (v: string) => number {
  const expected = `a fraction 0 < x <= ${max} (e.g. 0.5 or 50%)`;
  return (v) => {
    const n = fractionOrPercent(v);
    if (!(n > 0 && n <= max)) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

/** A confidence level: 0 <= x < 1 (0: none), written 0.95 or 95%. */
export function confidence(v: string): number {
  const n = fractionOrPercent(v);
  if (!(n >= 0 && n < 1))
    throw new InvalidArgumentError('expected a confidence 0 <= x < 1 (e.g. 0.95 or 95%; 0: none)');
  return n;
}

/** A relative change or a coefficient of variation: >= 0, written 0.05 or 5% (may exceed 1). */
export function percentage(v: string): number {
  const n = fractionOrPercent(v);
  if (!(n >= 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`not a fraction or percentage: "${v}" (write a number >= 0: 0.05 or 5%)`);
  return n;
}

/** A p-value or significance level: 0 < p < 1. */
export function pValue(v: string): number {
  const n = NUMBER_RE.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a probability 0 < p < 1 (e.g. 0.05)');
  return n;
}

/** A byte size: 4K, 2M, 1G, 4096 (> 0). */
export function size(v: string): number {
  let n: number;
  try {
    n = parseSize(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (!(n > 0)) throw new InvalidArgumentError('expected a size > 0 (e.g. 4K, 2M, 1G)');
  return n;
}

/** The longest run id: a run directory's name, with room for a file name to spare. */
export const MAX_RUN_ID = 200;

/** A run id: one directory name under --results, never a path (no "/", "..", or leading "."). */
export function runId(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) || v.length > MAX_RUN_ID) {
    throw new InvalidArgumentError(
      `expected a run directory name: letters, digits, ".", "_", "-" (not first), at most ${MAX_RUN_ID} characters`,
    );
  }
  return v;
}

const HOST_NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** Inventory host names, comma separated: "lab-1,lab-2". */
export function hostList(v: string): string[] {
  const names = v.split(',').map((s) => s.trim());
  if (names.length === 0 || names.some((n) => !HOST_NAME_RE.test(n))) {
    throw new InvalidArgumentError('expected host names separated by commas (letters, digits, ".", "_", "-")');
  }
  return names;
}

/** One of a fixed set of words (for options that keep .option(); commander's .choices() does the same). */
export function oneOf<T extends string>(values: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return v as T;
  };
}

/** A comma-separated list of words from a fixed set: "p50,p99". */
export function listOf<T extends string>(values: readonly T[]): (v: string) => T[] {
  return (v) => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((x) => !(values as readonly string[]).includes(x));
    if (items.length === 0 || bad.length > 0)
      throw new InvalidArgumentError(`expected a comma-separated list of ${values.join(', ')}`);
    return items as T[];
  };
}

/** Two different words, baseline first: "shmem,gmem". */
export function pair(v: string): [string, string] {
  const ps = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ps.length !== 2 || ps[0] === ps[1])
    throw new InvalidArgumentError('expected two different names, baseline first (e.g. shmem,gmem)');
  return [ps[0], ps[1]];
}

/** Thread placement: auto, none, or a CPU list such as 1, 0,1 or 0-3. */
export function cpuList(v: string): string {
  if (!/^(auto|none|\d+(-\d+)?(,\d+(-\d+)?)*)$/.test(v))
    throw new InvalidArgumentError('expected auto, none or a CPU list (1, 0,1, 0-3)');
  return v;
}

/** --pair A,B: two different backing paths (config/suite.ts PATHS) */
export function pathPair(v: string): [string, string] {
  const parts = v.split(',').map((x) => x.trim());
  const known = PATHS as readonly string[];
  if (parts.length !== 2 || parts[0] === parts[1] || !parts.every((x) => known.includes(x)))
    throw new InvalidArgumentError(`expected two different paths of ${PATHS.join(', ')}, such as shmem,gmem`);
  return [parts[0], parts[1]];
}

/** Wrap a parser that throws a plain Error (e.g. a domain parser shared with files) as an option parser. */
export function fromParser<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^--[a-z-]+: /, ''));
    }
  };
}
