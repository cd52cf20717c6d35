// Fault: the Kafka broker is SIGKILLed during ingest and restarted, twice. Clients post N distinct
// events at modest concurrency and retry every 503 (same event id) until 202. Afterwards every 202'd
// event is on the ledger, at the partition/offset its receipt names, exactly once (no second physical
// copy either), and nothing is on the ledger that no client sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import { readTopic } from '../harness/ledger.js';
import { createTestTopics, type TestTopics } from '../harness/topics.js';
import { createKafka } from '../../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../../adapters/mongo.js';
import { CredentialStore } from '../../access/credentials.js';
import { ensureRunning, figures, killServer, pool, secondsSince, sleep, startServer } from './faultKit.js';
import { dropTestDatabase } from '../harness/databases.js';

const N = Number(process.env.FAULTS_KAFKA_EVENTS ?? 300);
const CONCURRENCY = 6;
// Two kills, after a third and after two thirds of the events were acknowledged.
const KILLS_AFTER = [Math.floor(N / 3), Math.floor((2 * N) / 3)];
const port = 18400;
const tag = `fk-${runId}`;
const db = `faults_kafka_${runId}`;
const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `faults-${tag}` });

// Fixed content per id: a retry is the same event (other content under the same id would be a 409).
const OCCURRED_AT = new Date(Date.now() - 60_000).toISOString();
const event = (i: number) => ({
  specversion: '1.0',
  id: `${tag}-${i}`,
  source: 'org:rxh',
  type: 'consent.given',
  dataversion: 1,
  subject: `sub_${tag.replace(/-/g, '')}_${String(i % 50).padStart(3, '0')}`,
  data: {
    occurredAt: OCCURRED_AT,
    scope: {
      purposes: ['research'],
      dataCategories: '*',
      dataUserCategories: ['nhs', 'academic'],
      jurisdictions: ['uk'],
    },
    capture: { channel: 'in-person', setting: 'routine' },
    policyVersion: '2026-01',
  },
});

interface Outcome {
  status: number;
  receipt?: { eventId: string; ledger: { partition: number; offset: string } };
  unavailable: number;
  otherErrors: string[];
}

describe('fault: Kafka broker SIGKILLed and restarted during ingest', () => {
  let topics: TestTopics;
  let mongo: MongoHandle;
  let ingest: RunningService;
  let key: string;

  beforeAll(async () => {
    topics = await createTestTopics(kafka, tag);
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
    key = (await new CredentialStore(mongo.db).create('hospital', 'org:rxh')).apiKey;
    ingest = await startService(
      'ingest',
      { ...topics.env, MONGO_DB: db, INGEST_PORT: String(port), LEDGER_ACK_DEADLINE_MS: '3000', LOG_LEVEL: 'warn' },
      port,
      tag,
    );
  });
  afterAll(async () => {
    await ensureRunning('kafka');
    await ingest?.stop();
    if (mongo) await dropTestDatabase(mongo.db);
    await mongo?.close();
  });

  it(`every 202 is on the ledger exactly once; 503s retried with the same id write no second logical event (${N} events)`, async () => {
    const t0 = performance.now();
    const outcomes: Outcome[] = [];
    let acked = 0;
    const killedAt: number[] = [];
    // Each client retries its event until 202 (bounded: 240 attempts, ~2 min of broker downtime).
    const post = async (i: number): Promise<void> => {
      const o: Outcome = { status: 0, unavailable: 0, otherErrors: [] };
      outcomes[i] = o;
      for (let attempt = 0; attempt < 240; attempt++) {
        const res = await fetch(`${ingest.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(event(i)),
        }).catch((err: unknown) => err as Error);
        if (res instanceof Error) {
          o.otherErrors.push(res.message);
          await sleep(500);
          continue;
        }
        o.status = res.status;
        if (res.status === 202) {
          o.receipt = (await res.json()) as Outcome['receipt'];
          acked++;
          return;
        }
        await res.body?.cancel();
        if (res.status !== 503) {
          o.otherErrors.push(String(res.status));
          return;
        }
        expect(res.headers.get('retry-after')).toBeTruthy();
        o.unavailable++;
        await sleep(500);
      }
    };
    const fault = (async () => {
      for (const after of KILLS_AFTER) {
        for (let i = 0; i < 6000 && acked < after; i++) await sleep(20);
        if (acked >= N) break;
        killedAt.push(acked);
        await killServer('kafka');
        await sleep(3000); // clients see the broker gone (503s) before it comes back
        await startServer('kafka');
      }
    })();
    try {
      await pool(
        Array.from({ length: N }, (_, i) => i),
        CONCURRENCY,
        post,
      );
      await fault;
    } finally {
      await ensureRunning('kafka');
    }

    const records = (await readTopic(kafka, topics.names.ledger)).map((r) => ({
      ...r,
      id: (JSON.parse(r.value.toString('utf8')) as { id: string }).id,
    }));
    const copies = new Map<string, number>();
    for (const r of records) copies.set(r.id, (copies.get(r.id) ?? 0) + 1);
    const ackedIds = outcomes.filter((o) => o.receipt).map((o) => o.receipt!.eventId);
    const retried = outcomes.filter((o) => o.unavailable > 0 || o.otherErrors.length > 0);
    const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    figures('kafka-sigkill-during-ingest', {
      sent: N,
      acknowledged: ackedIds.length,
      killedAfterAcks: killedAt.join('+'),
      clientsThatGot503: retried.length,
      found: copies.size,
      physicalRecords: records.length,
      physicalDuplicates: duplicates,
      durationS: secondsSince(t0),
    });

    expect(killedAt).toHaveLength(KILLS_AFTER.length);
    for (const k of killedAt) {
      expect(k).toBeGreaterThan(0);
      expect(k).toBeLessThan(N);
    } // killed while clients were still writing
    expect(retried.length).toBeGreaterThan(0); // some clients did meet the outage
    expect(outcomes.filter((o) => o.status !== 202).map((o) => o.otherErrors)).toEqual([]);
    expect(ackedIds).toHaveLength(N);
    // Exactly once: every acknowledged id is there, nothing else is, and no id twice (an unanswered
    // write is resent by the same producer, which the broker dedupes; a retry waits for it).
    expect(new Set(copies.keys())).toEqual(new Set(ackedIds));
    expect([...copies].filter(([, n]) => n > 1)).toEqual([]);
    // Each receipt names the record that holds its event.
    const at = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r.id]));
    for (const o of outcomes)
      expect(at.get(`${o.receipt!.ledger.partition}/${o.receipt!.ledger.offset}`)).toBe(o.receipt!.eventId);
    // A retry of an event that already got its 202 replays the receipt and writes nothing.
    const again = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(event(0)),
    });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});
