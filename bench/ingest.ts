// Ingest benchmarks (issues: ingest, 14): single-event POST at concurrency 64 vs a bare express handler
// and vs the durable floor (durableFloor.ts: bare express plus one acks=all produce of a record as large
// as ours), batch POST vs Kafka's ProducerPerformance, and the ingest process's peak RSS. Bounded in
// time and count, loopback only. Knobs: BENCH_SECONDS (default 15), BENCH_BATCHES (default 200).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { startService } from '../test/harness/service.js';
import { connectMongo } from '../adapters/mongo.js';
import { CredentialStore } from '../access/credentials.js';
import { createKafka, ensureTopics } from '../adapters/kafka.js';
import { producerPerformance } from './kafkaPerf.js';
import { fmtNum, printTable, type BenchRow } from './table.js';
import { startBareExpress, startDurableFloor } from './floors.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = 64;
const BATCH = 500;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const run = Date.now().toString(36);

/** One single-event request body; `n` picks the subject (50,000 of them). */
export const benchEvent = (id: string, n: number) => ({
  specversion: '1.0',
  id,
  source: 'org:bench',
  type: 'consent.given',
  dataversion: 1,
  subject: `sub_bench${String(n % 50_000).padStart(12, '0')}`,
  data: {
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    scope: {
      purposes: ['research', 'ai-validation'],
      dataCategories: '*',
      dataUserCategories: ['nhs', 'academic'],
      jurisdictions: ['uk'],
    },
    capture: { channel: 'in-person', setting: 'routine' },
    policyVersion: '2026-01',
  },
});

/** Bytes of the ledger record ingest writes for one bench event (the event plus time and content type). */
export const ingestRecordBytes = () =>
  Buffer.byteLength(
    JSON.stringify({
      ...benchEvent('b-0000000000-single-000000', 1),
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
    }),
  );

async function load(url: string, apiKey: string | undefined, tag: string) {
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/events`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, body: JSON.stringify(benchEvent(`b-${run}-${tag}-${n}`, n++)) }),
      },
    ],
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
  });
  const ok = result['2xx'];
  return {
    rps: ok / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export async function ingestBench(): Promise<void> {
  const env = { INGEST_PORT: '18190', MONGO_DB: `bench_${run}`, LOG_LEVEL: 'info' };
  const mongo = await connectMongo({ url: process.env.MONGO_URL!, db: env.MONGO_DB });
  const { apiKey } = await new CredentialStore(mongo.db).create('hospital', 'org:bench');
  const recordSize = ingestRecordBytes();
  const bare = await startBareExpress(18191);
  const ingest = await startService('ingest', env, 18190, `bench-ingest-${run}`);
  try {
    const base = await load(bare.url, undefined, 'bare');
    const floorServer = await startDurableFloor(18192, `ingest-${run}`, { eventBytes: recordSize });
    const floor = await load(floorServer.url, undefined, 'floor').finally(() => floorServer.stop());
    const ours = await load(ingest.url, apiKey, 'single');

    const batchStart = performance.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let b = worker; b < BATCHES; b += 4) {
          const events = Array.from({ length: BATCH }, (_, i) => benchEvent(`bb-${run}-${b}-${i}`, b * BATCH + i));
          const res = await fetch(`${ingest.url}/v1/events:batch`, {
            method: 'POST',
            body: JSON.stringify({ events }),
            headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          });
          if (res.status !== 202) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
          sent += BATCH;
        }
      }),
    );
    const batchRate = sent / ((performance.now() - batchStart) / 1000);
    const rss = peakRssMb(ingest.proc.pid!);

    const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'bench' });
    const perfTopic = `bench-producer-perf-${run}`;
    await ensureTopics(kafka, [{ topic: perfTopic, numPartitions: 12, configs: { 'cleanup.policy': 'delete' } }]);
    const raw = await producerPerformance({
      brokers: process.env.KAFKA_BROKERS!,
      topic: perfTopic,
      records: sent,
      recordSize,
    });

    const rows: BenchRow[] = [
      {
        name: `POST /v1/events, c=${CONNECTIONS}, ${SECONDS}s: req/s`,
        ours: fmtNum(ours.rps),
        baseline: `${fmtNum(base.rps)} (bare express 202)`,
        ratio: `${fmtNum((100 * ours.rps) / base.rps)} %`,
        goal: '≥ 50 %',
        met: ours.rps >= base.rps / 2 ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/events: p50 / p99 latency',
        ours: `${ours.p50} / ${ours.p99} ms`,
        baseline: `${base.p50} / ${base.p99} ms`,
        ratio: '',
        goal: 'p99 ≤ 50 ms',
        met: ours.p99 <= 50 ? 'yes' : 'no',
      },
      {
        name: `POST /v1/events, c=${CONNECTIONS}: req/s vs durable floor (one acks=all produce, ${recordSize} B)`,
        ours: fmtNum(ours.rps),
        baseline: `${fmtNum(floor.rps)} (durable floor 202)`,
        ratio: `${fmtNum((100 * ours.rps) / floor.rps)} %`,
        goal: '≥ 60 %',
        met: ours.rps >= 0.6 * floor.rps ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/events: p99 vs durable floor p99',
        ours: `${ours.p99} ms`,
        baseline: `${floor.p99} ms (floor p50 ${floor.p50} ms)`,
        ratio: `${fmtNum(ours.p99 / floor.p99, 1)} ×`,
        goal: '≤ 2 ×',
        met: ours.p99 <= 2 * floor.p99 ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/events: non-2xx or errors',
        ours: String(ours.errors),
        baseline: `${base.errors} bare / ${floor.errors} floor`,
        ratio: '',
        goal: '0',
        met: ours.errors === 0 ? 'yes' : 'no',
      },
      {
        name: `POST /v1/events:batch (${BATCH}/batch, ${fmtNum(sent)} events): events/s`,
        ours: fmtNum(batchRate),
        baseline: `${fmtNum(raw)} (ProducerPerformance, ${recordSize} B, acks=all)`,
        ratio: `${fmtNum((100 * batchRate) / raw)} %`,
        goal: '≥ 25 %',
        met: batchRate >= raw / 4 ? 'yes' : 'no',
      },
      {
        name: 'ingest peak RSS under that load',
        ours: `${fmtNum(rss)} MB`,
        baseline: '',
        ratio: '',
        goal: '≤ 250 MB',
        met: rss <= 250 ? 'yes' : 'no',
      },
    ];
    printTable('Ingest', rows);
  } finally {
    await bare.stop();
    await ingest.stop();
    await mongo.db.dropDatabase();
    await mongo.close();
  }
}
