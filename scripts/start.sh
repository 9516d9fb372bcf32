#!/usr/bin/env bash
# `npm start`: build the packages and the demo when a source changed since the last build
# (scripts/build-if-changed.mjs), then serve the demo app on http://localhost:5000 (PORT,
# HOST, DATA_DIR, ALLOWED_ORIGINS and DEBUG as in examples/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/build-if-changed.mjs
exec node examples/dist/server.js
