// Audit benchmark (issue 5): verify and replay over AUDIT_BENCH_EVENTS ledger events (default 150,000;
// set 1000000 for the full size), each in its own process, against Kafka's ConsumerPerformance
// on the same topic in the same run; peak RSS of each audit process. Goal: ≥ 30 % of the consumer
// tool's events/s, peak RSS ≤ 300 MB.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createKafka, createIdempotentProducer, partitionCount } from '../adapters/kafka.js';
import { connectMongo } from '../adapters/mongo.js';
import { LedgerWriter } from '../ledger/writer.js';
import { createTestTopics } from '../test/harness/topics.js';
import { startService } from '../test/harness/service.js';
import { given, withdrawn, optOut, effective } from '../contracts/consent/fixtures.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { projectionReader } from '../projections/reader.js';
import { caughtUp } from '../test/harness/projector.js';
import { Sealer } from '../services/sealer/sealer.js';
import { PartitionClaims } from '../services/sealer/claims.js';
import { partitionRanges, scanLegs } from '../ledger/scan.js';
import { sealerKeys } from '../test/harness/auditLedger.js';
import { AUDIT_HEAP_FLAGS } from '../services/audit/heap.js';
import { consumerPerformance } from './kafkaPerf.js';
import { fmtNum, printTable, type BenchRow } from './table.js';
import { errorMessage } from '../adapters/logger.js';

const run = promisify(execFile);
const N = Number(process.env.AUDIT_BENCH_EVENTS ?? 150_000);
// How long to wait for the projector before measuring replay anyway (it is not what this bench measures).
const PROJECTION_WAIT_MS = Number(process.env.AUDIT_BENCH_PROJECTION_WAIT_S ?? 120) * 1000;
const tag = `bench-audit-${Date.now().toString(36)}`;

/** Four events per subject: consent given, effective, then an opt-out or a withdrawal. */
function eventsFor(i: number): LedgerEvent[] {
  const subject = `sub_benchAudit${String(i).padStart(10, '0')}`;
  const id = `${tag}.${i}`;
  return [
    given(`${id}.c`, 1 + (i % 20), { subject }),
    effective(`${id}.c`, 15 + (i % 20), { subject }),
    i % 2 === 0 ? optOut(`${id}.o`, 30 + (i % 20), { subject }) : withdrawn(`${id}.w`, 30 + (i % 20), { subject }),
    given(`${id}.c2`, 40 + (i % 20), { subject }),
  ];
}

/** AUDIT_CPU_PROF_DIR=<dir>: each audit process writes a V8 CPU profile there (bench/profileSummary.ts reads it). */
function profileFlags(mode: string): string[] {
  const dir = process.env.AUDIT_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=audit-${mode}.cpuprofile`] : [];
}

async function auditProcess(mode: 'verify' | 'fold' | 'replay', env: Record<string, string>) {
  // The same heap bounds as the audit CLI (services/audit/heap.ts).
  const { stdout } = await run(
    process.execPath,
    [...AUDIT_HEAP_FLAGS(), ...profileFlags(mode), '--import', 'tsx', 'bench/auditRun.ts', mode],
    { env: { ...process.env, ...env }, maxBuffer: 1 << 20 },
  );
  const line = stdout.trim().split('\n').pop()!;
  console.log(line);
  return JSON.parse(line) as { records: number; ok: boolean; ms: number; maxRssMb: number };
}

export async function auditBench(): Promise<void> {
  const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: tag });
  const topics = await createTestTopics(kafka, tag);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const keys = sealerKeys();
  const db = `bench_audit_${tag.replace(/-/g, '_')}`;
  const mongo = await connectMongo({ url: process.env.MONGO_URL!, db });
  const env = {
    ...topics.env,
    MONGO_DB: db,
    AUDIT_PUBLIC_KEY: keys.publicKeyBase64,
    PROJECTOR_PORT: '18390',
    PROJECTOR_GROUP_ID: `projector-${tag}`,
  };
  const projector = await startService('projector', env, 18390, tag);
  try {
    console.log(`writing ${fmtNum(N)} events`);
    const t0 = performance.now();
    const writer = new LedgerWriter(producer, {
      topic: topics.names.ledger,
      partitions: await partitionCount(kafka, topics.names.ledger),
      deadlineMs: 60_000,
    });
    for (let s = 0; s < N / 4; s += 2500) {
      await writer.appendAll(Array.from({ length: Math.min(2500, N / 4 - s) }, (_, k) => eventsFor(s + k)).flat());
    }
    console.log(
      `written in ${((performance.now() - t0) / 1000).toFixed(1)} s; sealing (in process, 1,000 records per checkpoint)`,
    );
    const claims = new PartitionClaims(kafka, {
      ledgerTopic: topics.names.ledger,
      checkpointsTopic: topics.names.checkpoints,
      transactionTimeoutMs: 60_000,
    });
    const sealer = new Sealer({
      publish: (partition, checkpoint) => claims.publish(partition, checkpoint),
      ledgerTopic: topics.names.ledger,
      signingKey: keys.privateKey,
      publicKey: keys.publicKey,
      everyRecords: 1000,
      everyMs: 3_600_000,
    });
    const ranges = await partitionRanges(kafka, topics.names.ledger);
    // The only sealer of these topics: nothing can fence its claim.
    for (const [p, last] of (await claims.claim(ranges.map((r) => r.partition))).last) await sealer.restore(p, last);
    await scanLegs(
      kafka,
      topics.names.ledger,
      ranges.map((r) => ({
        partition: r.partition,
        from: r.low,
        to: r.high,
        onRecords: (rs) => sealer.add(r.partition, rs),
      })),
    );
    const { lost } = await sealer.flush(true);
    await claims.close();
    if (lost.length > 0) throw new Error(`checkpoints not published: ${lost.map((l) => l.message).join('; ')}`);
    console.log('waiting for the projection');
    // The projector (and FerretDB) may be slower than the audit on a shared machine; replay is measured
    // either way (its comparison work is the same), and a lagging projection shows as differences.
    const projected = await caughtUp(kafka, topics.names.ledger, projectionReader(mongo.db), PROJECTION_WAIT_MS).then(
      () => true,
      (err: unknown) => {
        console.log(`projection not complete: ${errorMessage(err)}`);
        return false;
      },
    );

    const consumerRate = await consumerPerformance({
      brokers: process.env.KAFKA_BROKERS!,
      topic: topics.names.ledger,
      messages: N,
    });
    const verify = await auditProcess('verify', env);
    const fold = await auditProcess('fold', env);
    const replay = await auditProcess('replay', env);
    if (!verify.ok) throw new Error('verify of the untouched bench ledger failed');
    if (!replay.ok) console.log(`replay found differences (projection complete: ${String(projected)})`);
    const rate = (r: { records: number; ms: number }) => r.records / (r.ms / 1000);
    const row = (name: string, ours: number): BenchRow => ({
      name,
      ours: `${fmtNum(ours)} events/s`,
      baseline: `${fmtNum(consumerRate)} events/s (ConsumerPerformance)`,
      ratio: `${fmtNum((100 * ours) / consumerRate, 1)} %`,
      goal: '≥ 30 %',
      met: ours >= 0.3 * consumerRate ? 'yes' : 'no',
    });
    const rss = (name: string, mb: number): BenchRow => ({
      name,
      ours: `${fmtNum(mb)} MB`,
      baseline: '—',
      ratio: '—',
      goal: '≤ 300 MB',
      met: mb <= 300 ? 'yes' : 'no',
    });
    printTable(`audit over ${fmtNum(N)} events (${fmtNum(N / 4)} subjects, 12 partitions)`, [
      row('verify (recompute every checkpoint)', rate(verify)),
      row('replay, fold only (read + parse + fold, no comparison)', rate(fold)),
      row(`replay (fold + compare with projection${replay.ok ? '' : ', which lagged'})`, rate(replay)),
      rss('verify peak RSS', verify.maxRssMb),
      rss('replay fold-only peak RSS', fold.maxRssMb),
      rss('replay peak RSS', replay.maxRssMb),
    ]);
  } finally {
    await projector.stop();
    await producer.disconnect();
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics.names) }).catch(() => undefined);
    await admin.disconnect();
  }
}
