#!/usr/bin/env bash
# Brings the whole system up or down on one machine, and runs the test suite on its own stack.
#   infra/stack.sh up      servers + every service that exists (idempotent; restarts what died)
#   infra/stack.sh servers only Kafka, Temporal and FerretDB (for running single test files)
#   infra/stack.sh down    stops everything this stack started, nothing else
#   infra/stack.sh status
#   infra/stack.sh test [vitest args]   STACK=test: own ports and data; stops what it started
#   infra/stack.sh bench [names]      the benchmarks, on the test stack
#   infra/stack.sh run CMD…             run CMD on the project's Node with the stack's addresses
#   infra/stack.sh chart-check         helm lint + kubeconform of deploy/helm/consent-ledger
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# In start order (down stops them in reverse): FerretDB's PostgreSQL, when it runs on one, before it.
SERVERS=(kafka temporal ferretdb)
[[ "$MONGO_BACKEND" == postgresql ]] && SERVERS=(kafka temporal postgres ferretdb)
server_script() { echo "$INFRA_DIR/$1/$1.sh"; }

# Node 24 from the cache, first on PATH for everything below (npm itself runs on it too).
use_node() {
  local bin; bin="$("$INFRA_DIR/node.sh")"; node_on_path "$bin"
}

# Node's bin folder first on PATH, with the options every Node process here gets.
node_on_path() {
  export PATH="$1:$PATH"
  # kafkajs 2.2.4 sets a negative timer on Node >= 24; harmless, and not worth a warning per process.
  export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
  # V8's code cache for every module loaded (Node's on-disk compile cache, keyed by content): a warm
  # start of the seven services loads their dependency trees with about a third less CPU.
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$CACHE_DIR/node-compile-cache}"
}

# npm ci only when package-lock.json changed since the last install.
npm_deps() {
  local stamp="$PROJECT_ROOT/node_modules/.lock-sha" sha
  sha="$(sha256sum "$PROJECT_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]]; then
    log "installing npm dependencies (npm ci)"
    (cd "$PROJECT_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
    echo "$sha" > "$stamp"
  fi
}

# The addresses every service and test reads (DESIGN.md: every address comes from configuration).
export_addresses() {
  export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
  export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
  export MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:$FERRETDB_PORT/}"
  export INGEST_PORT QUERY_PORT PROJECTOR_PORT DISPATCHER_PORT WORKER_PORT SEALER_PORT AUDIT_PORT STACK STATE_DIR LOG_DIR
  export TEMPORAL_CLI="$CACHE_DIR/temporal/$TEMPORAL_CLI_VERSION/temporal"
  export KAFKA_LIBS="$CACHE_DIR/kafka/$KAFKA_VERSION/libs"
  # Temporal's Java test server for the virtual-time workflow tests (infra/temporal/test-server.sh).
  export TEMPORAL_TEST_SERVER="$CACHE_DIR/temporal-test-server/$TEMPORAL_TEST_SERVER_VERSION/test-server"
  # The worker keeps its workflow bundle here between starts, keyed by the workflow code's hash.
  export WORKFLOW_BUNDLE_CACHE_DIR="${WORKFLOW_BUNDLE_CACHE_DIR:-$CACHE_DIR/workflow-bundles}"
  load_secrets
}

# Secrets come from configuration, never from the repo: a local stack makes its own once and keeps
# them in its state dir (mode 600). Production sets them from its secret store.
load_secrets() {
  local f="$STATE_DIR/secrets.env"
  if [[ ! -f "$f" ]]; then
    (umask 077; printf 'PSEUDONYM_KEY=%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$f")
  fi
  # The sealer's Ed25519 signing key (PKCS8 DER, base64) and its public key (SPKI DER, base64) for the
  # audit side, which never sees the private key. Added once to an existing file too.
  if ! grep -q '^SEALER_SIGNING_KEY=' "$f"; then
    local key; key="$(openssl genpkey -algorithm ed25519 -outform DER | base64 | tr -d '\n')"
    (umask 077; printf 'SEALER_SIGNING_KEY=%s\nAUDIT_PUBLIC_KEY=%s\n' "$key" \
      "$(printf '%s' "$key" | base64 -d | openssl pkey -inform DER -pubout -outform DER | base64 | tr -d '\n')" >> "$f")
  fi
  # Master key from which each data user's webhook signing secret is derived (revocations/webhooks.ts).
  if ! grep -q '^WEBHOOK_SIGNING_KEY=' "$f"; then
    (umask 077; printf 'WEBHOOK_SIGNING_KEY=%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >> "$f")
  fi
  # HMAC key of the person's short-lived transparency links (services/query/transparencyLink.ts).
  if ! grep -q '^TRANSPARENCY_LINK_KEY=' "$f"; then
    (umask 077; printf 'TRANSPARENCY_LINK_KEY=%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >> "$f")
  fi
  set -a; source "$f"; set +a
}

# Everything a first start fetches or builds, at once (lib.sh in_parallel): the npm packages, Kafka's
# jars, the Temporal CLI, FerretDB's build, plus any EXTRA steps given. With ACTION=start each server
# starts as soon as its own install is done, while the others still build.
# Node itself is fetched inside the npm step (the servers' installs need no Node), so a first start
# overlaps that download with the others too. FerretDB's compile is the longest step on a new machine:
# npm's unpacking runs at a lower CPU priority (renice) so that the compile gets the cores first. (Only
# npm's step is niced: a server's step also starts its server, which would inherit the priority.)
setup_in_parallel() {
  local action="$1" s steps=("npm=renice -n 10 \$BASHPID >/dev/null; $INFRA_DIR/node.sh >/dev/null && npm_deps"); shift
  for s in "${SERVERS[@]}"; do steps+=("$s=$(printf %q "$(server_script "$s")") $action"); done
  in_parallel "${steps[@]}" "$@"
}

# Node's bin folder on PATH before it is fetched (the npm step of setup_in_parallel fetches it).
node_path_ahead() { node_on_path "$CACHE_DIR/node/$NODE_VERSION/bin"; }

# The stamp records that this Kafka's data already holds the topics as topics.ts (and the names it
# imports) define them, so a warm start can check them while the services start instead of before.
topics_stamp() { echo "$STATE_DIR/kafka/.topics-sha256"; }
topics_source_sha() { cat "$PROJECT_ROOT/infra/kafka/topics.ts" "$PROJECT_ROOT/contracts/topics.ts" | sha256sum | cut -d' ' -f1; }

create_topics() {
  log "creating topics"
  (cd "$PROJECT_ROOT" && node --import tsx infra/kafka/topics.ts) || die "topic creation failed"
  topics_source_sha > "$(topics_stamp)"
}

servers_up() { setup_in_parallel start; create_topics; }

# Every folder services/<name>/ with a main.ts is a deployable service.
service_names() { local f; for f in "$PROJECT_ROOT"/services/*/main.ts; do [[ -f "$f" ]] && basename "$(dirname "$f")"; done; }

# Each service's main.ts and the project code it imports as one ES module (dist/<name>/main.mjs; the
# npm packages stay external), built by esbuild in well under a second: a service then starts with
# about half the CPU of loading every source file through tsx, and seven start at once on two cores.
# dist/<name>/ is two levels below the root, like services/<name>/, so import.meta.url paths still hold.
bundle_services() {
  (cd "$PROJECT_ROOT" && node_modules/.bin/esbuild services/*/main.ts --bundle --platform=node --target=node24 \
    --format=esm --packages=external --outdir=dist --out-extension:.js=.mjs --log-level=warning) \
    || die "bundling the services failed (esbuild)"
}

services_up() {
  local name
  bundle_services
  for name in $(service_names); do
    if pid_alive "svc-$name"; then continue; fi
    log "starting service $name"
    # shellcheck disable=SC2086 # SERVICE_NODE_FLAGS holds several words
    (cd "$PROJECT_ROOT" && start_daemon "svc-$name" env MALLOC_ARENA_MAX="$SERVICE_MALLOC_ARENA_MAX" \
      node $SERVICE_NODE_FLAGS "dist/$name/main.mjs")
  done
  for name in $(service_names); do
    local port_var; port_var="$(echo "${name}_PORT" | tr '[:lower:]' '[:upper:]')"
    if [[ -n "${!port_var:-}" ]]; then
      wait_until "service $name" 60 "svc-$name" curl -sf "http://127.0.0.1:${!port_var}/readyz"
    fi
  done
}

services_down() { local f; for f in "$PID_DIR"/svc-*.pid; do [[ -f "$f" ]] && stop_daemon "$(basename "$f" .pid)"; done; return 0; }

summary() {
  cat <<TXT

consent-ledger ($STACK stack) is up:
  Kafka            $KAFKA_BROKERS   (ledger topic consent.ledger.v1)
  Temporal         $TEMPORAL_ADDRESS   Web UI http://127.0.0.1:$TEMPORAL_UI_PORT
  MongoDB wire     $MONGO_URL   (FerretDB on $MONGO_BACKEND)
  ingest API       http://127.0.0.1:$INGEST_PORT   (when services/ingest exists)
  query API        http://127.0.0.1:$QUERY_PORT   (when services/query exists)
  logs             $LOG_DIR
  running services: $(service_names | tr '\n' ' ')
TXT
}

cmd_up() {
  node_path_ahead; export_addresses
  setup_in_parallel start
  if [[ "$(cat "$(topics_stamp)" 2>/dev/null)" == "$(topics_source_sha)" ]]; then
    # Warm start: the topics exist; the check (retention unchanged) runs alongside the services' start.
    create_topics & local topics=$!
    services_up
    wait "$topics" || die "topic check failed (the services are running; make down stops them)"
  else
    create_topics; services_up
  fi
  summary
}

# Only the three servers (no services): for running single test files against a long-lived stack,
# e.g. STACK=test infra/stack.sh servers; STACK=test infra/stack.sh test path/to.int.spec.ts
cmd_servers() { node_path_ahead; export_addresses; servers_up; }

cmd_down() {
  services_down
  local i
  for (( i=${#SERVERS[@]}-1; i>=0; i-- )); do "$(server_script "${SERVERS[$i]}")" stop; done
  log "$STACK stack stopped"
}

cmd_status() {
  local s name
  for s in "${SERVERS[@]}"; do "$(server_script "$s")" status; done
  for name in $(service_names); do pid_alive "svc-$name" && echo "$name: running" || echo "$name: stopped"; done
}

# make test / make bench: start only what is not already running, with fresh data, and stop exactly
# that afterwards. Extra set-up steps given (NAME=COMMAND) run alongside the servers' installs.
with_test_servers() {
  [[ "$STACK" == test ]] || die "tests and benchmarks run on STACK=test, never on the dev stack"
  node_path_ahead; export_addresses
  local s
  STARTED=()   # global: the EXIT trap runs after this function's locals are gone
  # The Java test server is not a server of the stack: each virtual-time test file starts its own.
  setup_in_parallel install "$@" "temporal-test-server=$INFRA_DIR/temporal/test-server.sh install"
  for s in "${SERVERS[@]}"; do
    if ! pid_alive "$s"; then
      rm -rf "${STATE_DIR:?}/$s"   # a fresh server gets fresh data: the suite never depends on leftovers
      STARTED+=("$s")
    fi
  done
  trap 'for s in "${STARTED[@]}"; do "$(server_script "$s")" stop; done' EXIT
  for s in "${STARTED[@]}"; do "$(server_script "$s")" start; done
  create_topics
}

cmd_test() {
  with_test_servers "chart-tools=$INFRA_DIR/chart.sh install"
  (cd "$PROJECT_ROOT" && npx tsc --noEmit -p .) || die "type check failed"
  "$INFRA_DIR/chart.sh" check || die "Helm chart check failed (make chart-check)"
  (cd "$PROJECT_ROOT" && npx prettier --check --log-level warn .) || die "formatting check failed (npx prettier --write .)"
  (cd "$PROJECT_ROOT" && npx eslint .) || die "lint failed: fix the findings above (npx eslint --fix . fixes some)"
  local rc=0 out="$LOG_DIR/vitest.out" whole=0
  # The whole suite: unit, the virtual-time workflow tests (their own in-memory Temporal each),
  # fault-injection (on its own, before the integration files: it kills servers) and integration;
  # the tests then leave their databases for the privacy scan to read.
  if (( $# == 0 )); then whole=1; set -- --project unit --project workflows --project faults --project scaleout --project integration; fi
  (cd "$PROJECT_ROOT" && KEEP_TEST_DATABASES="$whole" npx vitest run "$@" 2>&1 | tee "$out"; exit "${PIPESTATUS[0]}") || rc=$?
  (( whole )) || return "$rc"   # a chosen subset: no privacy scan, vitest's own summary stands
  # The whole suite: then search everything it left (topics, databases, logs, workflow histories)
  # for a raw NHS number, and count the scan as one more test in the closing line CI reads.
  local scan=0 passed failed
  (cd "$PROJECT_ROOT" && KEEP_TEST_DATABASES=1 node --import tsx test/privacy/scan.ts) || scan=1
  passed="$(grep -oE '^Tests: [0-9]+ passed' "$out" | tail -n1 | grep -oE '[0-9]+' || echo 0)"
  failed="$(grep -oE '^Tests: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)"
  (( scan == 0 )) && passed=$((passed + 1)) || { failed=$((failed + 1)); rc=1; }
  echo "Tests: $passed passed, $failed failed"
  grep -E '^FAILED ' "$out" || true   # which tests, last: CI keeps only the tail of the output
  return "$rc"
}

cmd_bench() {
  with_test_servers
  # The services as `make up` runs them (bundles), measured without tsx (test/harness/service.ts).
  bundle_services
  (cd "$PROJECT_ROOT" && SERVICES_FROM=bundles node --import tsx bench/run.ts "$@")
}

# The static checks of `make test` without servers: types, formatting, lint.
cmd_lint() {
  use_node; npm_deps
  cd "$PROJECT_ROOT"
  npx tsc --noEmit -p . || die "type check failed"
  npx prettier --check --log-level warn . || die "formatting check failed (npx prettier --write .)"
  npx eslint . || die "lint failed: fix the findings above (npx eslint --fix . fixes some)"
}

cmd_run() { use_node; export_addresses; cd "$PROJECT_ROOT" && exec "$@"; }

case "${1:-}" in
  up) cmd_up ;;
  servers) cmd_servers ;;
  down) cmd_down ;;
  status) cmd_status ;;
  test) shift; cmd_test "$@" ;;
  lint) cmd_lint ;;
  bench) shift; cmd_bench "$@" ;;
  run) shift; cmd_run "$@" ;;
  chart-check) "$INFRA_DIR/chart.sh" check ;;
  *) echo "usage: $0 up|servers|down|status|test|lint|bench|run CMD…|chart-check" >&2; exit 2 ;;
esac
