#!/usr/bin/env bash
# README command 1: install what is missing, then start Synapse, the bootstrap, the bot, the site and the agent
# client, and print where everything is. Ctrl-C stops everything.
#   start.sh --production [--demo] [--build]   the production-shaped stack instead (npm run start:production):
#   PostgreSQL, Synapse on it, the bootstrap, the bot, the built site and agent client, Caddy with TLS in front
#   (scripts/production.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
# matrix-bot-sdk 0.8 uses util._extend: harmless on Node 24, but it would print a warning on every start.
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=DEP0060"
if [ "${1:-}" = "--production" ]; then
  shift
  bash scripts/setup.sh --production
  exec node_modules/.bin/node scripts/production.ts "$@"
fi
bash scripts/setup.sh
exec node_modules/.bin/node scripts/up.ts "$@"
