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
} as const;
