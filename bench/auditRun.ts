// One audit run in its own process, so its peak RSS is its own: `node --import tsx bench/auditRun.ts
// verify|fold|replay` with LEDGER_TOPIC / CHECKPOINTS_TOPIC / MONGO_DB / AUDIT_PUBLIC_KEY set. Prints JSON.
import { loadConfig, kafkaConfig, mongoConfig, topicsConfig } from '../adapters/config.js';
import { createKafka } from '../adapters/kafka.js';
import { connectMongo } from '../adapters/mongo.js';
import { projectionReader } from '../projections/reader.js';
import { trustedKeyFrom } from '../services/audit/trust.js';
import { verifyLedger } from '../services/audit/verify.js';
import { replayLedger } from '../services/audit/replay.js';
import { foldLedger } from '../services/audit/foldPass.js';

const c = loadConfig(kafkaConfig.extend(topicsConfig.shape).extend(mongoConfig.shape));
const kafka = createKafka({ brokers: c.KAFKA_BROKERS, clientId: 'bench-audit-run' });
const mode = process.argv[2];
const started = performance.now();
let records: number;
let ok: boolean;
if (mode === 'verify') {
  const r = await verifyLedger(kafka, {
    ledgerTopic: c.LEDGER_TOPIC,
    checkpointsTopic: c.CHECKPOINTS_TOPIC,
    trustedKey: trustedKeyFrom(process.env.AUDIT_PUBLIC_KEY!),
  });
  records = r.totals.records;
  ok = r.ok;
} else if (mode === 'fold') {
  // The auditor's own share of replay: read + parse + fold every subject, no projection comparison.
  const r = await foldLedger(kafka, {
    ledgerTopic: c.LEDGER_TOPIC,
    maxEventsInMemory: Number(process.env.AUDIT_MAX_EVENTS_IN_MEMORY ?? 200_000),
    onSubjects: () => {},
  });
  records = r.records;
  ok = r.poison === 0;
} else {
  const mongo = await connectMongo({ url: c.MONGO_URL, db: c.MONGO_DB });
  const r = await replayLedger(kafka, projectionReader(mongo.db), {
    ledgerTopic: c.LEDGER_TOPIC,
    maxEventsInMemory: Number(process.env.AUDIT_MAX_EVENTS_IN_MEMORY ?? 200_000),
  });
  records = r.records;
  ok = r.ok;
  if (!ok) console.error(JSON.stringify(r.differences.slice(0, 3)));
  await mongo.close();
}
const ms = performance.now() - started;
console.log(JSON.stringify({ mode, records, ok, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
