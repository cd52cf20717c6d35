// Fault: the MongoDB-wire server (FerretDB) is down for FAULTS_MONGO_DOWN_S seconds (default 60, as
// the issue asks) right after a withdrawal got its receipt.
// Decisions meanwhile: 503 with Retry-After, never a permit. Ingest (one instance, started with
// INGEST_STORE_OUTAGE=accept-single-instance; the default refuses) meanwhile keeps accepting: a key
// it saw before the outage still authenticates, events go to Kafka, and their receipts are recorded
// once the database is back (a repeated id replays meanwhile). Events written during the outage are
// projected once it is back: every withdrawal denies, every acknowledged event is on the ledger once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../serverEnv.js';
import { createIdempotentProducer, partitionCount, type Producer } from '../../adapters/kafka.js';
import { LedgerWriter } from '../../ledger/writer.js';
import { projectionReader } from '../../projections/reader.js';
import { caughtUp } from '../harness/projector.js';
import { readTopic } from '../harness/ledger.js';
import {
  approvals,
  consentEffective,
  ledgerEvent,
  NHS_ACADEMIC_RESEARCH,
  SCOPE_ALL,
  startQueryStack,
  type QueryStack,
} from '../e2e/queryKit.js';
import { ensureRunning, figures, secondsSince, sleep, stopServer } from './faultKit.js';

const DOWN_S = Number(process.env.FAULTS_MONGO_DOWN_S ?? 60);
const tag = `fm-${runId}`;
const sub = (name: string) => `sub_${tag.replace(/-/g, '')}_${name}`;
const UNI = `du_uni_${tag}`;

describe(`fault: FerretDB (MongoDB wire) down for ${DOWN_S} s`, () => {
  let s: QueryStack;
  let producer: Producer;
  let writer: LedgerWriter;
  let hospital: string, uni: string;
  let seq = 0;

  const post = (body: unknown) =>
    fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital}` },
      body: JSON.stringify(body),
    }).catch(() => undefined);
  const incoming = (type: string, subject: string, data: Record<string, unknown>, id = `${tag}-${++seq}`) => ({
    specversion: '1.0',
    id,
    source: 'org:rxh',
    type,
    dataversion: 1,
    subject,
    data: { occurredAt: new Date(Date.now() - 1000).toISOString(), ...data },
  });
  const decide = async (subject: string) => {
    const res = await s
      .call('/v1/decisions', uni, { body: { subject, purpose: 'research', dataCategory: 'ehr' } })
      .catch(() => undefined);
    if (!res) return { status: 0, retryAfter: null, decision: undefined };
    const body = (await res.json().catch(() => ({}))) as { decision?: string };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), decision: body.decision };
  };
  async function consented(subject: string) {
    const res = await post(
      incoming('consent.given', subject, {
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        scope: NHS_ACADEMIC_RESEARCH,
        capture: { channel: 'in-person', setting: 'routine' },
        policyVersion: '2026-01',
      }),
    );
    expect(res?.status).toBe(202);
    const given = (await res!.json()) as { eventId: string };
    await s.append([consentEffective(given.eventId, subject)]);
    expect((await decide(subject)).decision).toBe('permit');
  }

  beforeAll(async () => {
    // One ingest instance, so it may keep accepting while the store is down (ledger/receipts.ts).
    s = await startQueryStack(
      tag,
      { query: 18410, projector: 18411, ingest: 18412 },
      { INGEST_STORE_OUTAGE: 'accept-single-instance' },
    );
    producer = createIdempotentProducer(s.kafka);
    await producer.connect();
    writer = new LedgerWriter(producer, {
      topic: s.topics.names.ledger,
      partitions: await partitionCount(s.kafka, s.topics.names.ledger),
    });
    const admin = await s.key('admin', 'admin:ops');
    [hospital, uni] = await Promise.all([s.key('hospital', 'org:rxh'), s.key('dataUser', UNI)]);
    const res = await s.call('/v1/data-users', admin, {
      body: {
        dataUserId: UNI,
        name: 'academic user',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(res.status).toBe(202);
  });
  afterAll(async () => {
    await ensureRunning('ferretdb');
    await producer?.disconnect();
    await s?.close();
  });

  it('decisions answer 503 (never a permit after the withdrawal receipt); projections catch up afterwards', async () => {
    const [a, b, c] = [sub('a'), sub('b'), sub('c')];
    for (const x of [a, b, c]) await consented(x);

    // A's withdrawal has its receipt; then the database goes away.
    const wA = await post(incoming('consent.withdrawn', a, { occurredAt: new Date().toISOString(), scope: SCOPE_ALL }));
    expect(wA?.status).toBe(202);
    const t0 = performance.now();
    const answers: { status: number; retryAfter: string | null; decision?: string }[] = [];
    const ingestStatuses: number[] = [];
    const outageEvents: { id: string; status: number }[] = [];
    const wB = incoming(
      'consent.withdrawn',
      b,
      { occurredAt: new Date().toISOString(), scope: SCOPE_ALL },
      `${tag}-wB`,
    );
    const wC = ledgerEvent('consent.withdrawn', `${tag}-wC`, c, {
      occurredAt: new Date().toISOString(),
      scope: SCOPE_ALL,
    });
    let writtenDuringOutage: boolean;
    try {
      await stopServer('ferretdb');
      const downSince = performance.now();
      // Kafka is still up: a writer that does not need MongoDB (here: the LedgerWriter itself) records C's withdrawal.
      await writer.appendAll([wC]);
      writtenDuringOutage = true;
      while (performance.now() - downSince < DOWN_S * 1000) {
        answers.push(await decide(a), await decide(c));
        ingestStatuses.push((await post(wB))?.status ?? 0);
        const fresh = incoming('consent.given', sub(`d${outageEvents.length}`), {
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          scope: NHS_ACADEMIC_RESEARCH,
          capture: { channel: 'in-person', setting: 'routine' },
          policyVersion: '2026-01',
        });
        outageEvents.push({ id: fresh.id, status: (await post(fresh))?.status ?? 0 });
        await sleep(1000);
      }
    } finally {
      await ensureRunning('ferretdb');
    }
    const downS = secondsSince(t0);

    // After the restart: B's client retries its withdrawal (same id) until 202; everything is projected.
    let bStatus = 0;
    for (let i = 0; i < 120 && bStatus !== 202; i++) {
      bStatus = (await post(wB))?.status ?? 0;
      if (bStatus !== 202) await sleep(500);
    }
    expect(bStatus).toBe(202);
    await caughtUp(s.kafka, s.topics.names.ledger, projectionReader(s.mongo.db), 90_000);
    const after = await Promise.all([a, b, c].map(decide));
    const ledger = (await readTopic(s.kafka, s.topics.names.ledger)).map(
      (r) => (JSON.parse(r.value.toString('utf8')) as { id: string }).id,
    );

    // The receipts kept in memory during the outage reach the database.
    const acceptedDuringOutage = [wB.id, ...outageEvents.filter((e) => e.status === 202).map((e) => e.id)];
    const recordedReceipts = () =>
      s.mongo.db.collection('ingest_receipts_written').countDocuments({ _id: { $in: acceptedDuringOutage } as never });
    let storedReceipts = 0;
    for (let i = 0; i < 60 && storedReceipts < acceptedDuringOutage.length; i++) {
      storedReceipts = await recordedReceipts();
      if (storedReceipts < acceptedDuringOutage.length) await sleep(500);
    }

    const permits = answers.filter((x) => x.decision === 'permit').length;
    const unavailable = answers.filter((x) => x.status === 503).length;
    figures('ferretdb-down', {
      downS,
      decisionsDuringOutage: answers.length,
      answered503: unavailable,
      permitsDuringOutage: permits,
      ingestAttemptsDuringOutage: ingestStatuses.length,
      ingest202DuringOutage: ingestStatuses.filter((x) => x === 202).length,
      ingest503DuringOutage: ingestStatuses.filter((x) => x === 503).length,
      newEventsPostedDuringOutage: outageEvents.length,
      newEvents202DuringOutage: outageEvents.filter((e) => e.status === 202).length,
      acknowledgedDuringOutageFoundOnLedger: acceptedDuringOutage.filter((id) => ledger.includes(id)).length,
      receiptsRecordedAfter: storedReceipts,
      withdrawalsAcknowledged: 3,
      withdrawalsDenyingAfter: after.filter((x) => x.decision === 'deny').length,
      wBCopiesOnLedger: ledger.filter((id) => id === wB.id).length,
    });

    expect(writtenDuringOutage).toBe(true);
    expect(permits).toBe(0);
    expect(answers.length).toBeGreaterThan(0);
    for (const x of answers) {
      expect(x.status).toBe(503);
      expect(x.retryAfter).toBeTruthy();
    }
    // Ingest keeps accepting: every attempt during the outage got its 202 (repeats of wB replay it).
    expect(ingestStatuses.length).toBeGreaterThan(0);
    expect(ingestStatuses.filter((x) => x !== 202)).toEqual([]);
    expect(outageEvents.filter((e) => e.status !== 202)).toEqual([]);
    // Each event acknowledged during the outage is on the ledger exactly once, and its receipt was recorded.
    for (const id of acceptedDuringOutage) expect(ledger.filter((x) => x === id)).toHaveLength(1);
    expect(storedReceipts).toBe(acceptedDuringOutage.length);
    expect(after.map((x) => [x.status, x.decision])).toEqual([
      [200, 'deny'],
      [200, 'deny'],
      [200, 'deny'],
    ]);
    expect(ledger.filter((id) => id === wB.id)).toHaveLength(1);
    expect(ledger.filter((id) => id === wC.id)).toHaveLength(1);
  });
});
