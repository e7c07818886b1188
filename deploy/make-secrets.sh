#!/bin/sh
# Creates the secrets docker-compose.yml hands to its containers, once per install, in deploy/secrets/.
# Existing files are kept: replacing the PostgreSQL password after the first start would lock Synapse out.
#
# Permissions: the folder is 0700, so no other user of the host can reach the files; the files themselves are
# 0444 because Compose (without Swarm) bind-mounts them as they are, and the containers read them as their own
# non-root users (Synapse's 991, node's 1000), not as the host's owner.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 0700 secrets

for name in postgres_password registration_shared_secret; do
  file="secrets/$name"
  if [ -s "$file" ]; then
    echo "kept    deploy/$file"
    continue
  fi
  # 32 random bytes, base64url without padding: 43 characters, safe in URLs and YAML.
  head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$file"
  chmod 0444 "$file"
  echo "created deploy/$file"
done
