#!/usr/bin/env bash
# The README's test command: system packages, npm packages, type check, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-deps.sh
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm test
