#!/usr/bin/env bash
# Record N separate runs of a suite on this machine into DIR (the regress-quality history),
# one gmembench process per run, so run-to-run noise is real. Resumes: counts runs already there.
# usage: bench/record-history.sh DIR [N] [SUITE]
# GMEMBENCH_RECORD_INTERVAL=SECONDS waits that long between runs (nightlies are not back to back:
# runs recorded seconds apart share the machine's slow drifts, which a history a day apart does not).
# GMEMBENCH_RECORD_ARGS="--pair shmem,gmem" passes more options to each run (split on spaces).
# While DIR/.pause exists no new run starts; each run holds DIR/.lock (flock), so other heavy work on
# the machine can wait for the run in progress and keep the history quiet:
#   touch DIR/.pause; flock DIR/.lock true; <heavy work>; rm DIR/.pause
set -euo pipefail
dir=${1:?usage: record-history.sh DIR [N] [SUITE]}
n=${2:-32}
suite=${3:-suites/smoke.yaml}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
have() { find "$dir" -mindepth 2 -maxdepth 2 -name summary.json | wc -l; }
while [ "$(have)" -lt "$n" ]; do
  while [ -e "$dir/.pause" ]; do sleep 5; done
  # shellcheck disable=SC2086 # the extra options are meant to split on spaces
  flock "$dir/.lock" node --import tsx "$root/src/cli/index.ts" run "$root/$suite" --results "$dir" \
    --progress silent ${GMEMBENCH_RECORD_ARGS:-} >/dev/null || true
  sleep "${GMEMBENCH_RECORD_INTERVAL:-0}"
done
