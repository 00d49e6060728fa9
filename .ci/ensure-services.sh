#!/usr/bin/env bash
# Install (from Debian/Ubuntu packages) and start PostgreSQL and Redis for the
# test suite, plus Chromium for the browser tests. Idempotent; needs root or
# password-less sudo. Prints nothing but errors on the happy path.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"

need=()
command -v pg_lsclusters >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  }
fi

# Japanese text in generated images (rich menu image maker, avatars).
"$(dirname "$0")/ensure-fonts.sh"

# PostgreSQL: start the first cluster (creating one if the package made none).
if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  $SUDO pg_createcluster "$ver" main >/dev/null
fi
read -r ver name port status _rest < <(pg_lsclusters -h | head -n 1)
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$ver" "$name" start
fi
PG_PORT=${PG_PORT:-$port}
psql_su() { $SUDO runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 1 30); do psql_su -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname='lineoa'")" != "1" ]; then
  psql_su -c "CREATE ROLE lineoa LOGIN PASSWORD 'lineoa' CREATEDB"
fi
if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname='lineoa'")" != "1" ]; then
  psql_su -c "CREATE DATABASE lineoa OWNER lineoa"
fi

# Redis: a throwaway instance on 6379 if none answers.
if ! redis-cli -p "${REDIS_PORT:-6379}" ping >/dev/null 2>&1; then
  redis-server --daemonize yes --port "${REDIS_PORT:-6379}" --save "" --appendonly no \
    --logfile /tmp/lineoa-redis.log >/dev/null
  for _ in $(seq 1 30); do redis-cli -p "${REDIS_PORT:-6379}" ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
