# Shared shell library for infra scripts: where things are cached, where each stack keeps its state,
# and the small process helpers (pid files, port checks, readiness polling). Sourced, never run.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$INFRA_DIR/.." && pwd)"

# Pinned versions: changing one is a deliberate commit.
NODE_VERSION="24.21.0"
KAFKA_VERSION="3.9.1"
TEMPORAL_CLI_VERSION="v1.5.1"
# Temporal's Java test server (virtual-time workflow tests); the Java SDK release it ships with.
TEMPORAL_TEST_SERVER_VERSION="1.38.0"
FERRETDB_VERSION="v1.24.0"

# Built binaries and jars live outside the clone so a second start (or a second clone) is fast.
CACHE_DIR="${CONSENT_LEDGER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consent-ledger}"

# STACK=dev is `make up`; STACK=test is `make test`: own ports and own state dir, so both can run at once.
STACK="${STACK:-dev}"
case "$STACK" in
  dev)  _kafka=9092;  _ctrl=9093;  _tmp=7233;  _ui=8233;  _mongo=27017; _svc=8080 ;;
  test) _kafka=19092; _ctrl=19093; _tmp=17233; _ui=18233; _mongo=27117; _svc=18080 ;;
  *) echo "unknown STACK '$STACK' (dev|test)" >&2; exit 2 ;;
esac
KAFKA_PORT="${KAFKA_PORT:-$_kafka}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$_ctrl}"
TEMPORAL_PORT="${TEMPORAL_PORT:-$_tmp}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-$_ui}"
FERRETDB_PORT="${FERRETDB_PORT:-$_mongo}"
# Services: the two public APIs, then each background service's health/metrics port.
INGEST_PORT="${INGEST_PORT:-$_svc}"
QUERY_PORT="${QUERY_PORT:-$((_svc + 1))}"
PROJECTOR_PORT="${PROJECTOR_PORT:-$((_svc + 2))}"
DISPATCHER_PORT="${DISPATCHER_PORT:-$((_svc + 3))}"
WORKER_PORT="${WORKER_PORT:-$((_svc + 4))}"
SEALER_PORT="${SEALER_PORT:-$((_svc + 5))}"
AUDIT_PORT="${AUDIT_PORT:-$((_svc + 6))}"
STATE_DIR="${CONSENT_LEDGER_STATE:-$PROJECT_ROOT/.state/$STACK}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# pid_alive NAME → 0 if the pid file names a live process.
pid_alive() {
  local f="$PID_DIR/$1.pid"
  [[ -f "$f" ]] && proc_alive "$(cat "$f")"
}

# A zombie (exited, not yet reaped by its parent) answers kill -0 but is dead for our purposes.
proc_alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuse to start when another program already holds our port: say who, instead of a cryptic bind error.
require_free_port() {
  local port="$1" what="$2"
  if port_open "$port"; then
    local holder=""
    command -v ss >/dev/null && holder="$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n1 || true)"
    die "port $port (for $what) is already taken by another program ${holder:+($holder)}; free it or set the port variable (see README)"
  fi
}

# wait_until DESCRIPTION TIMEOUT_SECONDS PID_NAME COMMAND... : poll COMMAND until it succeeds;
# fail early if the process died, with the tail of its log.
wait_until() {
  local what="$1" timeout="$2" name="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$what exited during start-up (log: $LOG_DIR/$name.log)"
    fi
    (( $(date +%s) < deadline )) || die "$what not ready after ${timeout}s (log: $LOG_DIR/$name.log)"
    sleep 0.5
  done
}

# start_daemon NAME COMMAND... : run in the background in its own session, record its pid.
start_daemon() {
  local name="$1"; shift
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$PID_DIR/$name.pid"
}

# stop_daemon NAME : TERM, wait for a clean stop, KILL only as a last resort.
stop_daemon() {
  local name="$1" f="$PID_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if proc_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do proc_alive "$pid" || break; sleep 0.25; done
    if proc_alive "$pid"; then
      log "$name did not stop in 30s; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}
