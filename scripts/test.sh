#!/usr/bin/env bash
# README command 2: unit tests, integration tests against a real Synapse, browser tests in Chromium.
# Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
# matrix-bot-sdk 0.8 uses util._extend: harmless on Node 24, but it would print a warning on every start.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=DEP0060"
bash scripts/setup.sh --with-browser --production
# The browser tests serve the production build of the site, as it ships.
npm run build --workspace web >&2
# Its JavaScript budget (web/README.md): a value import of the protocol's zod entry once put 25 KB Brotli back
# into the conversation's code unnoticed.
npm run size --workspace web >&2
exec node_modules/.bin/node node_modules/vitest/vitest.mjs run "$@"
