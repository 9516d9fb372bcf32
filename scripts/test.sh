#!/usr/bin/env bash
# The README's test command runs this: set up what the suite needs, build, type-check
# (tests included), then run every test once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build --silent
npm run typecheck --silent
npx vitest run "$@"
