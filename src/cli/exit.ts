/** Exit codes, shared by every command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** an unexpected error: nothing (more) could be done */
  error: 1,
  /** bad command line or configuration (suite, inventory) */
  usage: 2,
  /** at least one host failed; the others' results are saved */
  hostFailed: 3,
  /** a regression was found (regress, nightly, bisect-check bad) */
  regression: 4,
  /** nightly: another nightly holds the lock; nothing was done */
  locked: 5,
} as const;

/** bisect-check: `git bisect run` reads these: 0 good, 1..124 bad (1 here), 125 skip this commit. */
export const BISECT_EXIT = {
  good: 0,
  bad: 1,
  skip: 125,
  /** bad arguments or baseline: git bisect run stops (>= 128) instead of marking the commit */
  abort: 128,
} as const;
