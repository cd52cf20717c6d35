// Privacy scan, run by `make test` after the whole suite: searches every Kafka topic, every MongoDB
// database, every log file of the stack and every Temporal workflow history for a raw NHS number.
// The suite only ever uses numbers of the synthetic 999 range (test/harness/nhsNumbers.ts,
// contracts EXAMPLE_NHS_NUMBER), so any 999-prefixed ten-digit number with a valid check digit found
// anywhere is a leak. Prints where each hit is (never the number itself) and exits 1 if there is one.
import { readdirSync, createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { createKafka, createConsumer } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { connectTemporalClient } from '../../adapters/temporal.js';
import { isValidNhsNumber } from '../../contracts/consent/primitives.js';
import { testEnv } from '../serverEnv.js';
import { keepForPrivacyScan } from '../harness/databases.js';

const CANDIDATE = /(?<![0-9])999[0-9]{7}(?![0-9])/g;
const TIME_LIMIT_MS = Number(process.env.PRIVACY_SCAN_SECONDS ?? 300) * 1000;
const MAX_WORKFLOWS = Number(process.env.PRIVACY_SCAN_MAX_WORKFLOWS ?? 5000);

interface Hit {
  where: string;
}
const hits: Hit[] = [];
const counts = { topics: 0, records: 0, databases: 0, documents: 0, logFiles: 0, logLines: 0, workflows: 0 };

/** Number of NHS-number-shaped tokens in `text` that pass the modulus-11 check, outside digests. */
function leaks(text: string): number {
  let n = 0;
  for (const m of text.matchAll(CANDIDATE))
    if (isValidNhsNumber(m[0]) && !insideDigest(text, m.index, m[0].length)) n++;
  return n;
}

/** Claims, receipts and records carry sha256 digests as 64 hex characters; one in ~150,000 holds a
 *  999-prefixed ten-digit run with a valid check digit, and a test run stores thousands of
 *  them (a cold clone's scan flagged a claim of the Kafka-kill test, which uses no NHS number at all).
 *  A run inside a hex token of 32 or more characters is part of a digest, not a number written out. */
const HEX = /[0-9a-f]/;
function insideDigest(text: string, at: number, length: number): boolean {
  let start = at;
  let end = at + length;
  while (start > 0 && HEX.test(text[start - 1]!)) start--;
  while (end < text.length && HEX.test(text[end]!)) end++;
  return end - start >= 32;
}
const note = (where: string, text: string) => {
  if (leaks(text) > 0) hits.push({ where });
};

async function scanKafka(deadline: number): Promise<void> {
  const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: 'privacy-scan' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
  const remaining = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
  }
  await admin.disconnect();
  counts.topics = topics.length;
  if (remaining.size === 0) return;
  const consumer = createConsumer(kafka, { groupId: `privacy-scan-${randomUUID()}`, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({
    topics: topics.filter((t) => [...remaining.keys()].some((k) => k.startsWith(`${t}/`))),
    fromBeginning: true,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Kafka scan did not finish within the time limit (${remaining.size} partitions left)`)),
      Math.max(1, deadline - Date.now()),
    );
    // A transactional topic (checkpoints) may end in a fetch of nothing but a commit marker, which
    // kafkajs never hands to eachBatch: its last raw offset still says the partition was read.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = `${payload.topic}/${payload.partition}`;
      const end = remaining.get(key);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(key);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
    void consumer
      .run({
        eachBatch: async ({ batch }) => {
          const key = `${batch.topic}/${batch.partition}`;
          for (const m of batch.messages) {
            counts.records++;
            const headers = Object.entries(m.headers ?? {})
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ');
            note(`kafka ${key}@${m.offset}`, `${m.key?.toString() ?? ''} ${m.value?.toString() ?? ''} ${headers}`);
          }
          const end = remaining.get(key);
          if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(key);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

async function scanMongo(): Promise<void> {
  // A database busy with another writer can take long to answer: patience, not a failure.
  const mongo = await connectMongo({ url: testEnv.MONGO_URL, db: 'admin', socketTimeoutMs: 300_000 });
  try {
    const { databases } = await mongo.client.db('admin').admin().listDatabases();
    for (const { name } of databases) {
      if (name === 'admin' || name === 'local' || name === 'config') continue;
      counts.databases++;
      if (process.env.PRIVACY_SCAN_VERBOSE) console.error(`scanning database ${name}`);
      const db = mongo.client.db(name);
      for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
        for await (const doc of db.collection(c.name).find({})) {
          counts.documents++;
          note(`mongo ${name}.${c.name} _id=${String(doc._id)}`, JSON.stringify(doc));
        }
      }
      // The tests left their databases for this scan (test/harness/databases.ts): clean up after it.
      if (keepForPrivacyScan()) await db.dropDatabase();
    }
  } finally {
    await mongo.close();
  }
}

async function scanLogs(dir: string): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  } catch {
    return;
  }
  for (const f of files) {
    counts.logFiles++;
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(join(dir, f)), crlfDelay: Infinity })) {
      line++;
      counts.logLines++;
      note(`log ${f}:${line}`, text);
    }
  }
}

async function scanTemporal(deadline: number): Promise<void> {
  const { client, close } = await connectTemporalClient({
    address: testEnv.TEMPORAL_ADDRESS,
    namespace: testEnv.TEMPORAL_NAMESPACE,
  });
  try {
    for await (const wf of client.workflow.list()) {
      if (counts.workflows >= MAX_WORKFLOWS || Date.now() > deadline) break;
      counts.workflows++;
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      note(
        `temporal workflow ${wf.workflowId}`,
        JSON.stringify(history, (_k, v: unknown) =>
          v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? v.toString() : v,
        ),
      );
    }
  } finally {
    await close();
  }
}

const deadline = Date.now() + TIME_LIMIT_MS;
await scanKafka(deadline);
await scanMongo();
await scanLogs(process.env.LOG_DIR ?? join(process.cwd(), '.state/test/logs'));
await scanTemporal(deadline);
for (const h of hits.slice(0, 50)) console.error(`raw NHS number found: ${h.where}`);
console.log(
  `privacy scan: ${hits.length} hits — ${counts.topics} topics (${counts.records} records), ` +
    `${counts.databases} databases (${counts.documents} documents), ${counts.logFiles} log files (${counts.logLines} lines), ` +
    `${counts.workflows} Temporal workflow histories`,
);
process.exit(hits.length === 0 ? 0 : 1);
