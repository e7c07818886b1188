#!/usr/bin/env bash
# Builds a self-contained Synapse tree from Debian sid (Debian bookworm has no matrix-synapse package).
# The tree lives outside the clone so every clone, every CI run and every `npm start` reuses it.
#
#   build-tree.sh TARGET_DIR
#
# Needs root (debootstrap creates device nodes and runs dpkg in a chroot). Prints progress on stderr and,
# on success, the installed Synapse version on stdout. The tree is built beside TARGET_DIR and renamed into
# place only when complete, so an interrupted build never leaves a half tree that looks usable.
set -euo pipefail

target=${1:?usage: build-tree.sh TARGET_DIR}
say() { printf '[synapse-tree] %s\n' "$*" >&2; }
fail() { printf '[synapse-tree] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "building the Synapse tree needs root (debootstrap). Run this once as root, or point
ESPACE_SYNAPSE_URL at an existing Synapse (see README, 'Use an existing Synapse')."

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap (apt-get)…"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 \
    || fail "could not install debootstrap with apt-get."
fi

# The mirror is whatever this machine's apt already uses: never a hard-coded host.
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || fail "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list."
mirror=${ESPACE_DEBIAN_MIRROR:-$mirror}

mkdir -p "$(dirname "$target")"
work="${target}.partial"
rm -rf "$work"

start=$(date +%s)
say "step 1/2: debootstrap Debian sid (minbase) into $work (about 30 s)…"
if ! debootstrap --variant=minbase sid "$work" "$mirror" >"${work}.log" 2>&1; then
  tail -n 20 "${work}.log" >&2
  fail "debootstrap failed (log: ${work}.log). If Debian sid changed under us, retry later or set
ESPACE_SYNAPSE_URL to use an existing Synapse."
fi

say "step 2/2: apt-get install matrix-synapse inside the tree (about 60 s)…"
# No /proc is mounted: Synapse's dependencies install without it (verified).
if ! chroot "$work" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends matrix-synapse >>"${work}.log" 2>&1; then
  tail -n 20 "${work}.log" >&2
  fail "installing matrix-synapse from Debian sid failed (log: ${work}.log). Sid moves daily: when a
dependency is briefly uninstallable, retry in a few hours, or set ESPACE_SYNAPSE_URL to an existing Synapse."
fi

version=$(chroot "$work" dpkg-query -W -f='${Version}' matrix-synapse) \
  || fail "matrix-synapse is not installed in the tree."
chroot "$work" apt-get clean >/dev/null 2>&1 || true
printf '%s\n' "$version" >"$work/.espace-synapse-version"

rm -rf "$target"
mv "$work" "$target"
mv "${work}.log" "${target}.build.log" 2>/dev/null || true
say "done in $(( $(date +%s) - start )) s: matrix-synapse $version in $target"
printf '%s\n' "$version"
