#!/bin/sh
# Entry point of the bot and web images. For every variable NAME_FILE=/run/secrets/x it sets NAME to the
# content of that file (the convention of the official postgres image), then runs the command.
# Why: Compose secrets are files, while our Node services read plain variables (ESPACE_SYNAPSE_REGISTRATION_SECRET).
# The secret then lives only in this process's environment: not in docker-compose.yml, not in `docker inspect`.
set -eu

for name in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)_FILE=.*/\1/p'); do
  file=$(printenv "${name}_FILE")
  if printenv "$name" > /dev/null; then
    echo "docker-entrypoint: both $name and ${name}_FILE are set; keep only ${name}_FILE" >&2
    exit 1
  fi
  if [ ! -r "$file" ]; then
    echo "docker-entrypoint: ${name}_FILE names $file, which cannot be read" >&2
    exit 1
  fi
  # $(...) drops trailing newlines, which editors and `echo` add to secret files.
  value=$(cat "$file")
  export "$name=$value"
  unset "${name}_FILE"
done

exec "$@"
