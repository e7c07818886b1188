#!/usr/bin/env bash
# Installs what this clone needs and is missing; fast when everything is already there. Used by both README
# commands (npm start, npm test) and by .ci/run.
#   setup.sh [--with-browser] [--production]   also make sure Chromium is installed (browser tests), and
#   PostgreSQL, Caddy, Prometheus and Alertmanager from Debian (the production-shaped stack, scripts/production.ts)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }
fail() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

with_browser=false
production=false
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=true ;;
    --production) production=true ;;
  esac
done

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing system package(s): $*. Install them (sudo apt-get install -y $*) or run this as root."
  fi
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f /var/lib/apt/periodic/espace-updated ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    apt-get update -qq >&2
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/espace-updated
  fi
  apt-get install -y -qq --no-install-recommends "$@" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "$@" >&2; }
}

command -v npm >/dev/null 2>&1 || fail "npm is not installed (any Node.js with npm will do: the project brings its own Node 24)."

# npm packages, including the project's own Node 24 (the npm package `node`, see README).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -x node_modules/.bin/node ]; then
  say "installing npm packages (npm ci)…"
  npm ci --no-fund --no-audit >&2
fi
node_version=$(node_modules/.bin/node --version 2>/dev/null || true)
case "$node_version" in
  v2[4-9].*|v[3-9][0-9].*) ;;
  *) fail "node_modules/.bin/node should be Node 24 or newer, got '${node_version:-nothing}'. Delete node_modules and run again." ;;
esac

# The Synapse tree is built by the first start (needs root and debootstrap); bring debootstrap now.
if [ "$(id -u)" -eq 0 ] && ! command -v debootstrap >/dev/null 2>&1 && [ -z "${ESPACE_SYNAPSE_URL:-}" ]; then
  apt_install debootstrap
fi

if $with_browser && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

if $production; then
  missing=()
  [ -n "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null)" ] || missing+=(postgresql)
  command -v caddy >/dev/null 2>&1 || missing+=(caddy)
  # Its monitoring: promtool checks deploy/prometheus, and the monitoring test runs a real Prometheus.
  { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
  # Alertmanager: amtool checks deploy/alertmanager, and the stack runs its own instance.
  { command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1; } || missing+=(prometheus-alertmanager)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
  # Debian's packages start their own services where an init system runs; the stack runs its own instances.
fi
exit 0
