#!/usr/bin/env bash
# Temporal dev server (`temporal server start-dev`) with a SQLite file, so workflow state survives a
# restart, and the Web UI on. The CLI is built with `go install` at a pinned release.
#   usage: temporal.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

TEMPORAL_BIN="$CACHE_DIR/temporal/$TEMPORAL_CLI_VERSION/temporal"
# The dev server opens two more ports; pin them so the dev and test stacks never collide.
TEMPORAL_HTTP_PORT="${TEMPORAL_HTTP_PORT:-$((TEMPORAL_PORT + 10))}"
TEMPORAL_METRICS_PORT="${TEMPORAL_METRICS_PORT:-$((TEMPORAL_PORT + 11))}"

install() {
  [[ -x "$TEMPORAL_BIN" ]] && return 0
  command -v go >/dev/null || die "Go is needed to build the Temporal CLI (go not on PATH)"
  log "building Temporal CLI $TEMPORAL_CLI_VERSION with go install (first time only; a few minutes)"
  mkdir -p "$(dirname "$TEMPORAL_BIN")"
  GOBIN="$(dirname "$TEMPORAL_BIN")" GOFLAGS="${GOFLAGS:-} -trimpath" \
    go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
    || die "go install of the Temporal CLI $TEMPORAL_CLI_VERSION failed (see README: fallbacks)"
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
  # Search attributes let operators find a subject's workflows in the Web UI by pseudonym and event type.
  start_daemon temporal "$TEMPORAL_BIN" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --http-port "$TEMPORAL_HTTP_PORT" --metrics-port "$TEMPORAL_METRICS_PORT" \
    --db-filename "$STATE_DIR/temporal/temporal.db" --log-format json --log-level warn \
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
