#!/usr/bin/env bash
# PostgreSQL (127.0.0.1:5432, trust auth, database `test`) and Redis (127.0.0.1:6379) for the
# suite: started when down, installed from Debian's packages when missing. A service that still
# cannot be reached fails the run: the suite never skips its PostgreSQL or Redis tests silently.
set -euo pipefail

apt_install() {
  echo "installing $* from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql
    installed=1
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  if [ -n "${installed:-}" ]; then
    # a cluster we installed: trust local TCP connections, as the suite's URL expects
    sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432: failing"; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" \
  | grep -q 1; then
  createdb -h 127.0.0.1 -U postgres test
fi

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "Redis is down; starting it"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
redis_up || { echo "Redis is not reachable on 127.0.0.1:6379: failing"; exit 1; }
