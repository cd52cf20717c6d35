#!/usr/bin/env bash
# PostgreSQL for FerretDB's postgresql backend (MONGO_BACKEND=postgresql): a cluster of this stack's own,
# on 127.0.0.1:$POSTGRES_PORT only, run with the machine's PostgreSQL $POSTGRES_MAJOR binaries.
#   postgres.sh install   Debian's postgresql-$POSTGRES_MAJOR with apt-get, only when missing (as infra/chromium.sh)
#   postgres.sh start     install if needed, create the cluster once, start it, wait until it accepts connections
#   postgres.sh stop      fast shutdown (ends sessions, writes a checkpoint)
#   postgres.sh status
# Data lives in $STATE_DIR/postgres/ (or /var/tmp, below); the log in $LOG_DIR/postgres.log.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PG_BIN="${POSTGRES_BIN_DIR:-/usr/lib/postgresql/$POSTGRES_MAJOR/bin}"
# PostgreSQL refuses to run as root; as root (CI, these machines) it runs as the postgres user that
# Debian's package creates. setpriv execs, so the pid recorded is the postmaster's own.
PG_AS=()
(( EUID == 0 )) && PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
PG_DATA="$STATE_DIR/postgres"
# A clone under a folder only root may enter (a mktemp -d, mode 700) is out of the postgres user's
# reach: its cluster then lives in /var/tmp under an id kept in the stack's state, so removing
# .state/<stack> still starts a fresh cluster (the old one stays behind in /var/tmp).
if (( EUID == 0 )) && ! "${PG_AS[@]}" test -x "$STATE_DIR" 2>/dev/null; then
  [[ -s "$STATE_DIR/postgres.id" ]] || { mkdir -p "$STATE_DIR"; od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$STATE_DIR/postgres.id"; }
  PG_DATA="/var/tmp/consent-ledger-postgres/$(cat "$STATE_DIR/postgres.id")"
fi

install() {
  [[ -x "$PG_BIN/postgres" ]] && return 0
  command -v apt-get >/dev/null || die "PostgreSQL $POSTGRES_MAJOR is not in $PG_BIN (set POSTGRES_BIN_DIR) and there is no apt-get"
  # One installer at a time: a second caller waits for the first instead of racing dpkg's lock.
  exec 9>/tmp/consent-ledger-postgres.lock
  flock 9
  [[ -x "$PG_BIN/postgres" ]] && return 0
  log "installing PostgreSQL $POSTGRES_MAJOR (Debian's postgresql-$POSTGRES_MAJOR)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "postgresql-$POSTGRES_MAJOR" >&2
  [[ -x "$PG_BIN/postgres" ]] || die "PostgreSQL $POSTGRES_MAJOR installed, but $PG_BIN/postgres is missing"
}

# The cluster, once: superuser ferretdb, trust authentication (it listens on loopback only, like
# FerretDB's own unauthenticated port in front of it), and the database FerretDB keeps its schemas in.
init_cluster() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  log "creating the PostgreSQL cluster in $PG_DATA"
  rm -rf "$PG_DATA"; mkdir -p "$PG_DATA"; chmod 700 "$PG_DATA"
  [[ "$PG_DATA" == /var/tmp/* ]] && chmod 1777 "$(dirname "$PG_DATA")"
  (( EUID == 0 )) && chown postgres: "$PG_DATA"
  (cd / && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U ferretdb --auth=trust -E UTF8 --no-locale) \
    >>"$LOG_DIR/postgres.log" 2>&1 || die "initdb failed (log: $LOG_DIR/postgres.log)"
  touch "$PG_DATA/.needs-database"
}

ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U ferretdb; }

start() {
  install
  # FerretDB's start calls this too (it needs the cluster up), alongside the set-up's own call: one at a time.
  exec 8>"$PID_DIR/postgres.lock"
  flock 8
  if pid_alive postgres; then log "PostgreSQL already running on 127.0.0.1:$POSTGRES_PORT"; return 0; fi
  init_cluster
  require_free_port "$POSTGRES_PORT" PostgreSQL
  log "starting PostgreSQL $POSTGRES_MAJOR on 127.0.0.1:$POSTGRES_PORT (data $PG_DATA, log $LOG_DIR/postgres.log)"
  # No Unix socket (TCP on loopback only). synchronous_commit=off: a commit does not wait for the WAL's
  # flush, the counterpart of SQLite's synchronous=NORMAL (infra/ferretdb/main.go says why that is safe
  # for what this store holds), so the two backends are measured on equal terms.
  (cd / && start_daemon postgres "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DATA" \
    -c listen_addresses=127.0.0.1 -c port="$POSTGRES_PORT" -c unix_socket_directories= \
    -c synchronous_commit=off -c max_connections=$((POSTGRES_POOL_MAX_CONNS + 20)) 8>&- 9>&-)   # the daemon must not inherit (and hold) the locks
  wait_until PostgreSQL 60 postgres ready
  if [[ -f "$PG_DATA/.needs-database" ]]; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U ferretdb ferretdb || die "createdb ferretdb failed"
    rm -f "$PG_DATA/.needs-database"
  fi
  "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$POSTGRES_PORT" -U ferretdb -d ferretdb \
    -f "$(dirname "${BASH_SOURCE[0]}")/id-lookups.sql" >>"$LOG_DIR/postgres.log" 2>&1 \
    || die "applying infra/postgres/id-lookups.sql failed (log: $LOG_DIR/postgres.log)"
  log "PostgreSQL ready: $POSTGRES_URL"
}

stop() {
  if pid_alive postgres; then
    local pid; pid="$(cat "$PID_DIR/postgres.pid")"
    kill -INT "$pid"   # fast shutdown; stop_daemon's TERM would be a smart one, waiting for every session
    for _ in $(seq 1 120); do proc_alive "$pid" || break; sleep 0.25; done
  fi
  stop_daemon postgres
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) pid_alive postgres && echo "postgres: running on 127.0.0.1:$POSTGRES_PORT" || echo "postgres: stopped" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
