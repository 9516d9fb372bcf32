#!/usr/bin/env bash
# `npm start`: build the packages and serve the demo app on http://localhost:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
exec node examples/dist/server.js
