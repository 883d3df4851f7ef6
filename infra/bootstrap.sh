#!/bin/sh
# Installs the project's dependencies (Node 24 included, from the npm registry) when they are
# missing or older than the lockfile. Runs under whatever node/npm the machine has.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "seamline: installing dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
