#!/bin/sh
# Creates the secrets docker-compose.yml hands to its containers, once per install, in deploy/secrets/
# (or in the folder given as first argument: the native stack, scripts/production.ts, keeps its own).
# Existing files are kept: replacing the PostgreSQL password after the first start would lock Synapse out.
#
# Permissions: the folder is 0700, so no other user of the host can reach the files; the files themselves are
# 0444 because Compose (without Swarm) bind-mounts them as they are, and the containers read them as their own
# non-root users (Synapse's 991, node's 1000), not as the host's owner.
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

for name in postgres_password registration_shared_secret; do
  file="$dir/$name"
  if [ -s "$file" ]; then
    echo "kept    $file"
    continue
  fi
  # 32 random bytes, base64url without padding: 43 characters, safe in URLs and YAML.
  head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$file"
  chmod 0444 "$file"
  echo "created $file"
done
