#!/bin/sh
# Creates the federated profile's TLS material (docker-compose.federated.yml) in deploy/secrets/federation/, or in
# the folder given as the first argument: a certificate authority of this deployment's own, and one certificate
# per server (public, police, gendarmerie) signed by it, for the host names given in .env. Run it once; existing
# files are kept (a new CA would have to reach every server at once).
#
# The CA key never leaves this folder and no server needs it: keep it offline after this step. The CA is trusted
# by the three servers only (federation_custom_ca_list); it means nothing to anyone else.
# Permissions as deploy/make-secrets.sh: folder 0700, files 0444 (Compose bind-mounts them into Synapse's 991).
#
#   deploy/make-federation-certs.sh [folder]   (reads ESPACE_*_FEDERATION_HOST from the environment or .env)
set -eu
here=$(dirname "$0")
dir=${1:-$here/secrets/federation}
if [ -f "$here/../.env" ]; then
  # shellcheck disable=SC1091
  . "$here/../.env"
fi
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

if [ ! -s "$dir/ca.pem" ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -subj "/O=Espace mineurs/CN=Espace mineurs federation CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign"
  chmod 0444 "$dir/ca.pem"
  echo "created $dir/ca.pem"
fi

for role in public police gendarmerie; do
  case $role in
    public) host=${ESPACE_PUBLIC_FEDERATION_HOST:?set ESPACE_PUBLIC_FEDERATION_HOST} ;;
    police) host=${ESPACE_POLICE_FEDERATION_HOST:?set ESPACE_POLICE_FEDERATION_HOST} ;;
    gendarmerie) host=${ESPACE_GENDARMERIE_FEDERATION_HOST:?set ESPACE_GENDARMERIE_FEDERATION_HOST} ;;
  esac
  if [ -s "$dir/$role.crt" ]; then
    echo "kept    $dir/$role.crt"
    continue
  fi
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s\n' "$host" > "$dir/$role.ext"
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$dir/$role.key" -out "$dir/$role.csr" -subj "/O=Espace mineurs/CN=$host"
  openssl x509 -req -in "$dir/$role.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days 825 \
    -extfile "$dir/$role.ext" -out "$dir/$role.crt"
  rm -f "$dir/$role.csr" "$dir/$role.ext"
  chmod 0444 "$dir/$role.crt" "$dir/$role.key"
  echo "created $dir/$role.crt for $host"
done
