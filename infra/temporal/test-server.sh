#!/usr/bin/env bash
# Temporal's Java test server (io.temporal:temporal-test-server, from Maven Central, run with the
# machine's Java): an in-memory Temporal with time skipping, for the virtual-time workflow tests
# (test/virtualTime/). It is not a server of the stack: each test file starts its own, through
# @temporalio/testing, and nothing here starts one.
#   usage: test-server.sh install   resolve the jars and write the executable (first time only)
#          test-server.sh path      print the executable's path (installs first if needed)
#
# The executable is what TestWorkflowEnvironment.createTimeSkipping({ server: { executable:
# { type: 'existing-path', path } } }) runs: the SDK (sdk-core's ephemeral server) calls it as
# `<path> <port> [extraArgs…]`, kills it at teardown, and gives it 5 s (fixed) to answer on the port.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

TEST_SERVER_HOME="$CACHE_DIR/temporal-test-server/$TEMPORAL_TEST_SERVER_VERSION"
TEST_SERVER_BIN="$TEST_SERVER_HOME/test-server"
# Class-data-sharing archive of the classes a start loads: cuts the JVM start from ~1.5 s to ~0.4 s on
# this 2-core machine, which keeps a loaded `make test` well inside the SDK's 5 s start limit.
TEST_SERVER_CDS="$TEST_SERVER_HOME/test-server.jsa"
# Identical at archive time and at run time (the JVM ignores an archive made with other flags).
# C1 only and the serial collector: the server lives for one test file, start-up matters more than peak speed.
JVM_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms64m -Xmx512m -Djava.awt.headless=true
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error -Dorg.slf4j.simpleLogger.logFile=System.err)

# NOT `--enable-time-skipping`: that flag starts the server with time already unlocked, so virtual time
# runs on even while a workflow task is in flight (the task times out). @temporalio/testing unlocks time
# itself while a test awaits a result or calls env.sleep, and locks it again afterwards.
# The jars in a fixed order: a class-data archive is only used with the classpath it was made with.
classpath() { find "$TEST_SERVER_HOME/libs" -name '*.jar' | LC_ALL=C sort | paste -sd:; }

write_executable() {
  local cp; cp="$(classpath)"
  cat > "$TEST_SERVER_BIN" <<SH
#!/bin/sh
# Temporal's Java test server $TEMPORAL_TEST_SERVER_VERSION, written by infra/temporal/test-server.sh.
# usage: test-server <port> [flags…]   (exec: the SDK's kill at teardown reaches the JVM itself)
cds=""
[ -f "$TEST_SERVER_CDS" ] && cds="-XX:SharedArchiveFile=$TEST_SERVER_CDS -Xlog:cds=off,cds+dynamic=off"
exec java ${JVM_FLAGS[*]} \$cds -cp "$cp" io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$TEST_SERVER_BIN"
}

# Best effort: start once with -XX:ArchiveClassesAtExit, stop it (the JVM writes the archive as it
# exits). Without an archive the server still works, only its start is slower.
write_cds_archive() {
  local port log="$LOG_DIR/temporal-test-server-cds.log" pid
  port=$((20000 + RANDOM % 20000))
  port_open "$port" && return 0
  log "recording the test server's start-up classes (class-data sharing)"
  java "${JVM_FLAGS[@]}" -XX:ArchiveClassesAtExit="$TEST_SERVER_CDS" \
    -cp "$(classpath)" io.temporal.testserver.TestServer "$port" \
    >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do port_open "$port" && break; sleep 0.1; done
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -s "$TEST_SERVER_CDS" ]] || { rm -f "$TEST_SERVER_CDS"; log "no class-data archive (see $log); the test server starts slower"; }
}

install() {
  [[ -f "$TEST_SERVER_HOME/.complete" ]] && return 0
  command -v java >/dev/null || die "Java is needed to run Temporal's test server (java not on PATH)"
  command -v mvn >/dev/null || die "Maven is needed to fetch Temporal's test server (mvn not on PATH)"
  log "resolving Temporal test server $TEMPORAL_TEST_SERVER_VERSION jars with Maven"
  rm -rf "$TEST_SERVER_HOME" && mkdir -p "$TEST_SERVER_HOME"
  maven -q -B -Dstyle.color=never -f "$INFRA_DIR/temporal/test-server.pom.xml" \
    -Dtemporal.test.server.version="$TEMPORAL_TEST_SERVER_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$TEST_SERVER_HOME/libs" \
    || die "Maven could not resolve io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION"
  write_executable
  write_cds_archive
  touch "$TEST_SERVER_HOME/.complete"
}

case "${1:-}" in
  install) install ;;
  path) install >&2; echo "$TEST_SERVER_BIN" ;;
  *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
