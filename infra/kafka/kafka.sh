#!/usr/bin/env bash
# Apache Kafka, single node in KRaft mode (broker + controller in one JVM), from Maven Central jars
# run with the machine's Java.   usage: kafka.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KAFKA_HOME="$CACHE_DIR/kafka/$KAFKA_VERSION"
KAFKA_DATA="$STATE_DIR/kafka"

install() {
  [[ -f "$KAFKA_HOME/.complete" ]] && return 0
  command -v java >/dev/null || die "Java is needed to run Kafka (java not on PATH)"
  command -v mvn >/dev/null || die "Maven is needed to fetch Kafka's jars (mvn not on PATH)"
  log "resolving Kafka $KAFKA_VERSION runtime jars with Maven"
  rm -rf "$KAFKA_HOME" && mkdir -p "$KAFKA_HOME"
  maven -q -B -Dstyle.color=never -f "$INFRA_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs" \
    || die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see README: fallback release lines)"
  touch "$KAFKA_HOME/.complete"
}

# Java's classpath wildcard picks up every jar in libs/.
kafka_java() { java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true -cp "$KAFKA_HOME/libs/*" "$@"; }

write_config() {
  mkdir -p "$KAFKA_DATA/data"
  cat > "$KAFKA_DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA/data
# one node: internal topics cannot have more replicas than brokers
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
# topics are created on purpose (infra/kafka/topics.ts), never by a typo in a producer
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
num.partitions=1
PROPS
  cat > "$KAFKA_DATA/log4j.properties" <<PROPS
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.storage=WARN
PROPS
}

format_storage() {
  [[ -f "$KAFKA_DATA/data/meta.properties" ]] && return 0
  local id; id="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
  log "formatting Kafka storage (cluster $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_DATA/server.properties" --ignore-formatted \
    >>"$LOG_DIR/kafka.log" 2>&1 || die "Kafka storage format failed (log: $LOG_DIR/kafka.log)"
}

kafka_started() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_DIR/kafka.log"; }

start() {
  install
  if pid_alive kafka; then log "Kafka already running on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  require_free_port "$KAFKA_PORT" "Kafka"
  require_free_port "$KAFKA_CONTROLLER_PORT" "Kafka's controller"
  write_config
  format_storage
  : > "$LOG_DIR/kafka.log"
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  start_daemon kafka java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DATA/log4j.properties" -cp "$KAFKA_HOME/libs/*" \
    kafka.Kafka "$KAFKA_DATA/server.properties"
  wait_until "Kafka" 120 kafka kafka_started
  log "Kafka ready"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_daemon kafka ;;
  status) pid_alive kafka && echo "kafka: running on 127.0.0.1:$KAFKA_PORT" || echo "kafka: stopped" ;;
  java) shift; install; kafka_java "$@" ;;   # run a Kafka tool class with the broker's classpath
  *) echo "usage: $0 install|start|stop|status|java CLASS ARGS…" >&2; exit 2 ;;
esac
