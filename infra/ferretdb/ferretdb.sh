#!/usr/bin/env bash
# FerretDB 1.x: the project's MongoDB-wire server, built from source, no Docker, on the stack's own
# PostgreSQL (the default, MONGO_BACKEND=postgresql; infra/postgres/postgres.sh, started first) or on
# SQLite files (MONGO_BACKEND=sqlite).
#   ferretdb.sh install   build the binary into the cache (once per version/source change)
#   ferretdb.sh start     install if needed, start on 127.0.0.1:$FERRETDB_PORT, wait until it answers a ping
#   ferretdb.sh stop      stop it (TERM, clean shutdown)
#   ferretdb.sh status    print running/stopped (exit 0 if running, 3 if stopped)
# With SQLite, the data lives in $STATE_DIR/ferretdb/ (one file per database); the log in $LOG_DIR/ferretdb.log.
# Why a wrapper module instead of `go install .../cmd/ferretdb`: see main.go.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SRC_DIR="$INFRA_DIR/ferretdb"
BIN_DIR="$CACHE_DIR/ferretdb/$FERRETDB_VERSION"
BIN="$BIN_DIR/ferretdb"
DATA_DIR="$STATE_DIR/ferretdb"

# Fingerprint of the wrapper's sources, so an edit to a .go file, go.mod or go.sum triggers a rebuild.
src_hash() { (cd "$SRC_DIR" && cat ./*.go go.mod go.sum | sha256sum | cut -d' ' -f1); }

install() {
  # lib.sh's pin and go.mod must agree: go.mod is what the build really uses.
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?github.com/FerretDB/FerretDB $FERRETDB_VERSION\$" "$SRC_DIR/go.mod" \
    || die "infra/ferretdb/go.mod does not require github.com/FerretDB/FerretDB $FERRETDB_VERSION (lib.sh's" \
      "FERRETDB_VERSION); run: cd infra/ferretdb && go get github.com/FerretDB/FerretDB@$FERRETDB_VERSION && go mod tidy"
  local hash; hash="$(src_hash)"
  if [[ -x "$BIN" && "$(cat "$BIN.src-sha256" 2>/dev/null)" == "$hash" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go not found in PATH (Go >= 1.22 is needed to build FerretDB)"
  log "building FerretDB $FERRETDB_VERSION into $BIN (first time: downloads modules and compiles SQLite, a few minutes)"
  mkdir -p "$BIN_DIR"
  local t0=$SECONDS tmp
  tmp="$(mktemp "$BIN_DIR/.ferretdb.XXXXXX")"
  # The project's shared Go caches (lib.sh go_env); go.sum pins every module.
  go_env
  # -trimpath and no symbol/DWARF tables: a smaller binary linked faster (nothing here debugs FerretDB).
  if ! (cd "$SRC_DIR" && go build -trimpath -ldflags="-s -w" -o "$tmp" .); then
    rm -f "$tmp"
    die "go build of infra/ferretdb failed"
  fi
  mv -f "$tmp" "$BIN"           # atomic: a concurrent start never sees a half-written binary
  echo "$hash" > "$BIN.src-sha256"
  log "built FerretDB $FERRETDB_VERSION in $((SECONDS - t0))s"
}

# mongo_ping PORT: send a MongoDB OP_MSG {ping: 1, $db: "admin"} and check the reply holds ok: 1.0.
# Plain bash + coreutils, so readiness does not depend on a Mongo client being installed.
mongo_ping() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # header (len 51, id 1, responseTo 0, opCode 2013 OP_MSG), flags 0, section kind 0, BSON (30 bytes)
    msg="\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00"
    msg+="\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02\$db\x00\x06\x00\x00\x00admin\x00\x00"
    printf "$msg" >&3
    # dd bs=1 reads exactly the bytes asked for: first the length, then the rest of the message.
    len="$(dd bs=1 count=4 <&3 2>/dev/null | od -An -tu4 | tr -d " ")"
    [[ "$len" =~ ^[0-9]+$ ]] && (( len > 16 && len < 65536 )) || exit 1
    dd bs=1 count=$((len - 4)) <&3 2>/dev/null | od -An -tx1 -v | tr -d " \n" | grep -q "016f6b00000000000000f03f"
  ' _ "$1"
}

# The backend the running FerretDB was started on, beside its pid file.
BACKEND_FILE="$PID_DIR/ferretdb.backend"

start() {
  install
  if pid_alive ferretdb; then
    local running; running="$(cat "$BACKEND_FILE" 2>/dev/null || echo sqlite)"
    [[ "$running" == "$MONGO_BACKEND" ]] \
      || die "FerretDB is running on $running, not $MONGO_BACKEND: stop the stack first (infra/stack.sh down)"
    echo "FerretDB already running (pid $(cat "$PID_DIR/ferretdb.pid"), port $FERRETDB_PORT, $running)"
    return 0
  fi
  require_free_port "$FERRETDB_PORT" FerretDB
  local store=()
  if [[ "$MONGO_BACKEND" == postgresql ]]; then
    "$INFRA_DIR/postgres/postgres.sh" start
    store=(-postgresql-url "$POSTGRES_URL")
  else
    mkdir -p "$DATA_DIR"
    store=(-sqlite-dir "$DATA_DIR")
  fi
  log "starting FerretDB on 127.0.0.1:$FERRETDB_PORT (STACK=$STACK, $MONGO_BACKEND ${store[1]}, log $LOG_DIR/ferretdb.log)"
  echo "$MONGO_BACKEND" > "$BACKEND_FILE"
  # FERRETDB_PPROF_ADDR=127.0.0.1:6060: Go's profiler, to see where the store's time goes under a bench.
  [[ -n "${FERRETDB_PPROF_ADDR:-}" ]] && store+=(-pprof-addr "$FERRETDB_PPROF_ADDR")
  start_daemon ferretdb "$BIN" -listen-addr "127.0.0.1:$FERRETDB_PORT" "${store[@]}"
  wait_until FerretDB 60 ferretdb mongo_ping "$FERRETDB_PORT"
  echo "FerretDB ready: mongodb://127.0.0.1:$FERRETDB_PORT/"
}

stop() {
  stop_daemon ferretdb
  rm -f "$BACKEND_FILE"
  echo "FerretDB stopped"
}

status() {
  if pid_alive ferretdb; then
    echo "running (pid $(cat "$PID_DIR/ferretdb.pid"), mongodb://127.0.0.1:$FERRETDB_PORT/, $(cat "$BACKEND_FILE" 2>/dev/null || echo sqlite))"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
