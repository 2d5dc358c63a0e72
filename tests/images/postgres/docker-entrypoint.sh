#!/bin/bash
# Entrypoint of devenv-test/postgres:15, a small offline stand-in for the official postgres image
# (docker-library/postgres). Same contract for the parts the tests use:
#   - first run on an empty $PGDATA: initdb as user postgres with superuser $POSTGRES_USER
#     (default postgres) and password $POSTGRES_PASSWORD; creates $POSTGRES_DB (default: the user);
#     runs /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz against a socket-only temporary server
#   - host connections from anywhere (0.0.0.0/0, ::/0) use $POSTGRES_HOST_AUTH_METHOD, default
#     scram-sha-256 when a password is set and trust when none is (the official image refuses to
#     start without a password; this one is for throwaway test stacks)
#   - listens on '*', runs `postgres` as the postgres user; an existing $PGDATA is never re-initialised
#   - `docker run IMAGE -c foo=bar` passes flags to postgres
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

# "docker run IMAGE -c x=y" means "postgres -c x=y"
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != 'postgres' ]; then
	exec "$@"
fi

# As root: fix ownership of the data and socket directories, then run this script again as postgres.
if [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA" || :
	chmod 03775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chown postgres:postgres "$POSTGRES_INITDB_WALDIR"
	fi
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# The official images fall back to the *_FILE variants (docker secrets); do the same.
file_env() {
	local var=$1 file_var="${1}_FILE" def=${2:-}
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		log "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	local val=$def
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!file_var:-}" ]; then
		val=$(<"${!file_var}")
	fi
	export "$var"="$val"
	unset "$file_var"
}

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS

if [ -n "$POSTGRES_PASSWORD" ]; then
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
else
	: "${POSTGRES_HOST_AUTH_METHOD:=trust}"
fi

run_psql() {
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER" "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
		log "note: $PGDATA is not empty but has no PG_VERSION; initdb may refuse to run"
	fi
	log "initialising a new cluster in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
	initdb_args=(--username="$POSTGRES_USER" --pgdata="$PGDATA")
	pwfile=
	if [ -n "$POSTGRES_PASSWORD" ]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		initdb_args+=(--pwfile="$pwfile")
	fi
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		initdb_args+=(--waldir="$POSTGRES_INITDB_WALDIR")
	fi
	# shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list on purpose (as upstream)
	initdb "${initdb_args[@]}" $POSTGRES_INITDB_ARGS >/dev/null
	[ -z "$pwfile" ] || rm -f "$pwfile"

	{
		printf '\n# added by docker-entrypoint.sh\n'
		printf "listen_addresses = '*'\n"
	} >>"$PGDATA/postgresql.conf"
	{
		printf '\n# added by docker-entrypoint.sh: connections from other containers and the host\n'
		printf 'host all all 0.0.0.0/0 %s\n' "$POSTGRES_HOST_AUTH_METHOD"
		printf 'host all all ::/0 %s\n' "$POSTGRES_HOST_AUTH_METHOD"
	} >>"$PGDATA/pg_hba.conf"

	# Temporary server for creating the database and running the init scripts: no TCP, and its
	# socket in a private directory, so that health checks (`pg_isready` on the default socket in
	# /var/run/postgresql) fail until the real server runs. (The official image answers them during
	# init, which makes "healthy" racy.)
	init_sock=$(mktemp -d)
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$init_sock -p ${PGPORT:-5432}" \
		-w -t 60 start >/dev/null
	export PGHOST=$init_sock
	export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}

	if [ "$POSTGRES_DB" != 'postgres' ]; then
		exists=$(run_psql --dbname postgres -tA -v db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
		if [ -z "$exists" ]; then
			run_psql --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
		fi
	fi

	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					log "running $f"; "$f"
				else
					log "sourcing $f"
					# shellcheck disable=SC1090
					. "$f"
				fi
				;;
			*.sql) log "running $f"; run_psql --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
			*.sql.gz) log "running $f"; gunzip -c "$f" | run_psql --dbname "$POSTGRES_DB" >/dev/null ;;
			*.sql.xz) log "running $f"; xzcat "$f" | run_psql --dbname "$POSTGRES_DB" >/dev/null ;;
			*) log "ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
	unset PGPASSWORD PGHOST
	rmdir "$init_sock" 2>/dev/null || :
	log "init done; starting postgres"
else
	log "$PGDATA already holds a cluster (PG_VERSION $(cat "$PGDATA/PG_VERSION")); skipping init"
fi

exec "$@"
