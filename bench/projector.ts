// Projector benchmarks (issue 4): the projector process applying N events already on a ledger topic
// (events/s), then applying while a writer keeps adding ingest-sized batches (events/s and the largest
// lag seen), and a rebuild of the same topic from offset 0 (events/s) beside Kafka's own
// ConsumerPerformance reading the same topic in the same run. Own topics and database; loopback only.
// Scale with PROJECTOR_BENCH_EVENTS (default 2,000; the figure is 1,000,000) and
// PROJECTOR_BENCH_LIVE_EVENTS (events written while the projector runs, default 1,000).
import { startService } from '../test/harness/service.js';
import { createLogger } from '../adapters/logger.js';
import { projectionReader } from '../projections/reader.js';
import { rebuild } from '../services/projector/rebuild.js';
import { sampleLedger } from '../test/harness/ledgerSample.js';
import { caughtUp, endOffsets, projectorTestBed } from '../test/harness/projector.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { consumerPerformance } from './kafkaPerf.js';
import { fmtNum, printTable, type BenchRow } from './table.js';

const EVENTS = Number(process.env.PROJECTOR_BENCH_EVENTS ?? 2000);
const LIVE_EVENTS = Number(process.env.PROJECTOR_BENCH_LIVE_EVENTS ?? 1000);
const WRITE_BATCH = 500; // the ingest batch endpoint's size
const PORT = 18210;
const run = Date.now().toString(36);

/** Sample-ledger events until at least `count` (whole subjects), from subject `from`. */
function eventsFrom(prefix: string, from: number, count: number): { events: LedgerEvent[]; next: number } {
  const events: LedgerEvent[] = [];
  let i = from;
  while (events.length < count) events.push(...sampleLedger(prefix, i, ++i));
  return { events, next: i };
}

const sum = (m: Map<number, bigint | string>) => [...m.values()].reduce<bigint>((a, b) => a + BigInt(b), 0n);

export async function projectorBench(): Promise<void> {
  const bed = await projectorTestBed(`bench-proj-${run}`, PORT);
  const reader = projectionReader(bed.mongo.db);
  const topic = bed.topics.names.ledger;
  const prefix = `bp${run}`;
  let projector: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const first = eventsFrom(prefix, 0, EVENTS);
    for (let i = 0; i < first.events.length; i += 1000) await bed.writer.appendAll(first.events.slice(i, i + 1000));
    const backlog = Number(sum(await endOffsets(bed.kafka, topic)));

    // 1. a backlog already on the ledger
    projector = await startService(
      'projector',
      { ...bed.env, LOG_LEVEL: process.env.PROJECTOR_BENCH_LOG_LEVEL ?? 'warn' },
      PORT,
      `bench-projector-${run}`,
    );
    // Timed from readiness (process start and tsx compile excluded): what it applies from then on.
    const t0 = performance.now();
    const before = Number(sum(await reader.progress()));
    await caughtUp(bed.kafka, topic, reader, 600_000);
    const backlogRate = (backlog - before) / ((performance.now() - t0) / 1000);

    // 2. while a writer appends ingest-sized batches as fast as Kafka takes them
    const live = eventsFrom(prefix, first.next, LIVE_EVENTS).events;
    let maxLag = 0n;
    const written = new AbortController(); // aborted once the writer is done and the projector caught up
    const sampler = (async () => {
      while (!written.signal.aborted) {
        const lag = sum(await endOffsets(bed.kafka, topic)) - sum(await reader.progress());
        if (lag > maxLag) maxLag = lag;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const t1 = performance.now();
    for (let i = 0; i < live.length; i += WRITE_BATCH) await bed.writer.appendAll(live.slice(i, i + WRITE_BATCH));
    const writeSeconds = (performance.now() - t1) / 1000;
    await caughtUp(bed.kafka, topic, reader, 600_000);
    const liveSeconds = (performance.now() - t1) / 1000;
    written.abort();
    await sampler;
    await projector.stop();
    projector = undefined;

    // 3. rebuild from offset 0 vs Kafka's consumer on the same topic
    const total = Number(sum(await endOffsets(bed.kafka, topic)));
    const log = createLogger('bench-rebuild', 'warn');
    const result = await rebuild({
      kafka: bed.kafka,
      db: bed.mongo.db,
      log,
      topic,
      deadLetterTopic: bed.topics.names.deadLetter,
      groupId: bed.env.PROJECTOR_GROUP_ID!,
      dropAfterMs: 0,
    });
    const rebuildRate = result.records / result.seconds;
    const raw = await consumerPerformance({ brokers: process.env.KAFKA_BROKERS!, topic, messages: total });

    const rows: BenchRow[] = [
      {
        name: `projector: backlog of ${fmtNum(backlog)} events on the ledger: events/s`,
        ours: fmtNum(backlogRate),
        baseline: `${fmtNum(raw)} (ConsumerPerformance, same topic)`,
        ratio: `${fmtNum((100 * backlogRate) / raw, 1)} %`,
        goal: '',
        met: '',
      },
      {
        name: `projector while ${fmtNum(live.length)} events are appended in batches of ${WRITE_BATCH}: events/s`,
        ours: fmtNum(live.length / liveSeconds),
        baseline: `${fmtNum(live.length / writeSeconds)} (append rate)`,
        ratio: `${fmtNum((100 * writeSeconds) / liveSeconds, 1)} %`,
        goal: 'lag bounded',
        met: '',
      },
      {
        name: 'projector: largest lag seen while writing (records)',
        ours: fmtNum(Number(maxLag)),
        baseline: `${fmtNum(live.length)} written`,
        ratio: '',
        goal: `< ${fmtNum(live.length)}`,
        met: maxLag < BigInt(live.length) ? 'yes' : 'no',
      },
      {
        name: `rebuild of ${fmtNum(result.records)} ledger records: events/s`,
        ours: fmtNum(rebuildRate),
        baseline: `${fmtNum(raw)} (ConsumerPerformance, same topic)`,
        ratio: `${fmtNum((100 * rebuildRate) / raw, 1)} %`,
        goal: '',
        met: '',
      },
    ];
    printTable(
      `Projector (N = ${fmtNum(backlog)} + ${fmtNum(live.length)} events, FerretDB on ${process.env.MONGO_BACKEND ?? 'its configured backend'})`,
      rows,
    );
  } finally {
    await projector?.stop();
    await bed.close();
  }
}
