#!/usr/bin/env bash
# Starts a local PostgreSQL for the `postgres` tests and prints its URL on stdout:
#   export GAIOS_TEST_POSTGRES_URL=$(bash scripts/postgres-for-tests.sh)
# Installs Debian's postgresql package when missing (needs root), creates or starts
# the cluster, and creates the role `gaios_test` (allowed to create databases: each
# test run makes its own) and the database `gaios_test`. Idempotent: safe to re-run
# when everything is already installed, created or running. Progress goes to stderr.
set -euo pipefail
PGUSER_NAME=${GAIOS_TEST_PG_USER:-gaios_test}
PGPASSWORD_VALUE=${GAIOS_TEST_PG_PASSWORD:-gaios_test}
PGDB_NAME=${GAIOS_TEST_PG_DB:-gaios_test}
PGPORT_VALUE=${GAIOS_TEST_PG_PORT:-5432}

say() { echo "postgres-for-tests: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
as_postgres() { as_root su postgres -s /bin/sh -c "$1"; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "installing postgresql from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  say "creating cluster $version/main"
  as_root pg_createcluster "$version" main --port "$PGPORT_VALUE" >&2
fi
cluster=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v {print $2; exit}')
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')
if ! pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c' \
    | grep -q online; then
  say "starting cluster $version/$cluster on port $port"
  as_root pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  as_postgres "pg_isready -q -p $port" && break
  sleep 1
done

as_postgres "psql -q -p $port -v ON_ERROR_STOP=1 -d postgres" >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER_NAME') THEN
    CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASSWORD_VALUE';
  ELSE
    ALTER ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASSWORD_VALUE';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $PGDB_NAME OWNER $PGUSER_NAME'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PGDB_NAME') \gexec
SQL

echo "postgresql+psycopg://$PGUSER_NAME:$PGPASSWORD_VALUE@127.0.0.1:$port/$PGDB_NAME"
