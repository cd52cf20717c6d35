// Issue 15: every record on every topic another party reads (ledger, revocations, decisions) read back
// from Kafka through the CloudEvents SDKs of two languages, with each one's default Kafka decoding:
// JavaScript (`cloudevents` npm, Kafka.toEvent) and Python (PyPI `cloudevents`, from_kafka_event, which
// picks binary or structured mode by itself; installed by infra/cloudevents-python.sh). The records are
// written by the real code paths: the ledger's appendOnce/LedgerWriter, the query service's decision log,
// and the propagation activity that issues revocation notices.
// (Checkpoints and dead-letter records are not CloudEvents: a signed checkpoint body, and the poison
// record's bytes as they arrived, with their origin in DEADLETTER_HEADERS.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Kafka as KafkaBinding, type KafkaMessage as CloudEventsKafkaMessage } from 'cloudevents';
import { runId } from '../serverEnv.js';
import { readTopic, type ReadRecord } from '../harness/ledger.js';
import {
  approvals,
  consentEffective,
  consentGiven,
  ledgerEvent,
  startQueryStack,
  type QueryStack,
} from '../e2e/queryKit.js';
import { createIdempotentProducer, type Producer } from '../../adapters/kafka.js';
import { createLogger } from '../../adapters/logger.js';
import { NoticeStore } from '../../revocations/notices.js';
import { propagationActivities } from '../../workflows/activities/propagation.js';
import type { ActivityDeps } from '../../workflows/activities/index.js';

const DU = `du_ce_${runId}`;
const A = `sub_${runId}_cea`.padEnd(22, 'x');
const B = `sub_${runId}_ceb`.padEnd(22, 'x');

interface Decoded {
  error?: string;
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string | null;
  time: string | null;
  dataschema: string | null;
  datacontenttype: string | null;
  data: unknown;
}

/** The records as the Python SDK's default Kafka decoding reads them (one python process for all). */
function decodeWithPython(records: ReadRecord[]): Decoded[] {
  const python = execFileSync('infra/cloudevents-python.sh', { encoding: 'utf8' }).trim();
  const input = records.map((r) => ({
    key: r.key ?? null,
    headers: Object.fromEntries(
      Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')]),
    ),
    value: r.value.toString('base64'),
  }));
  return JSON.parse(
    execFileSync(python, ['test/interfaces/decodeCloudEvents.py'], { input: JSON.stringify(input), encoding: 'utf8' }),
  ) as Decoded[];
}

/** The same record through the JavaScript SDK's Kafka binding. */
function decodeWithJs(r: ReadRecord) {
  const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = r.value.toString('utf8');
  const message: CloudEventsKafkaMessage<string> = { key: r.key ?? '', headers, body, value: body };
  return KafkaBinding.toEvent(message);
}

describe('CloudEvents SDKs of two languages read every topic record', () => {
  let s: QueryStack;
  let producer: Producer;

  beforeAll(async () => {
    s = await startQueryStack(`ce-${runId}`, { query: 18560, projector: 18561 });
    producer = createIdempotentProducer(s.kafka);
    await producer.connect();
    const admin = await s.key('admin', 'admin:ops');
    const du = await s.key('dataUser', DU);
    const reg = await s.call('/v1/data-users', admin, {
      body: {
        dataUserId: DU,
        name: 'CE Uni',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(reg.status).toBe(202);
    // Ledger: through appendOnce (receipts) and straight through the LedgerWriter.
    await s.append([consentGiven(`ce-${runId}-a`, A), consentEffective(`ce-${runId}-a`, A)]);
    await s.write([consentGiven(`ce-${runId}-b`, B)]);
    // Decisions: the real query service answers and logs (it waits for the projection itself).
    for (const subject of [A, B]) {
      const res = await s.call('/v1/decisions', du, { body: { subject, purpose: 'research', dataCategory: 'ehr' } });
      expect(res.status).toBe(200);
    }
    // Revocations: the activity the workflow runs to issue a notice, with a real producer and store.
    const activities = propagationActivities({
      ledger: s.appender,
      notices: new NoticeStore(s.mongo.db),
      revocations: { producer, topic: s.topics.names.revocations },
      log: createLogger(`ce-test-${runId}`, 'warn'),
      now: () => new Date(),
    } as Partial<ActivityDeps> as ActivityDeps);
    const withdrawn = new Date().toISOString();
    await s.append([
      ledgerEvent('consent.withdrawn', `ce-${runId}-w`, A, {
        scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
      }),
    ]);
    await activities.issueNotice({
      withdrawalId: `ce-${runId}-w`,
      subject: A,
      dataUserId: DU,
      scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
      withdrawnAt: withdrawn,
      sentAt: withdrawn,
      dueBy: new Date(Date.parse(withdrawn) + 86_400_000).toISOString(),
      policyVersion: '2026-01',
    });
  }, 120_000);

  afterAll(async () => {
    await producer?.disconnect();
    await s?.close();
  });

  for (const topic of ['ledger', 'decisions', 'revocations'] as const) {
    it(`${topic}: Python from_kafka_event and JavaScript Kafka.toEvent give the event as written`, async () => {
      const records = await readTopic(s.kafka, s.topics.names[topic]);
      expect(records.length).toBeGreaterThan(0);
      const decoded = decodeWithPython(records);
      expect(decoded).toHaveLength(records.length);
      records.forEach((r, i) => {
        // What the producer wrote: the structured-mode value is the whole event.
        const written = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
        const py = decoded[i]!;
        expect(py.error, `record ${r.partition}/${r.offset}`).toBeUndefined();
        expect(typeof written.dataschema).toBe('string');
        expect(py).toMatchObject({
          specversion: '1.0',
          id: written.id,
          source: written.source,
          type: written.type,
          subject: written.subject,
          dataschema: written.dataschema,
          datacontenttype: written.datacontenttype,
          data: written.data,
        });
        expect(Date.parse(py.time!)).toBe(Date.parse(written.time as string));
        const js = decodeWithJs(r) as unknown as Record<string, unknown>;
        expect(js).toMatchObject({
          id: written.id,
          source: written.source,
          type: written.type,
          dataschema: written.dataschema,
          data: written.data,
        });
        expect(Date.parse(js.time as string)).toBe(Date.parse(written.time as string));
      });
      if (topic === 'ledger') {
        // time is the occurrence (README: "Time on the ledger, and CloudEvents on every topic").
        for (const d of decoded)
          expect(Date.parse(d.time!)).toBe(Date.parse((d.data as { occurredAt: string }).occurredAt));
        expect(decoded.map((d) => d.id)).toEqual(
          expect.arrayContaining([`ce-${runId}-a`, `ce-${runId}-a.effective`, `ce-${runId}-b`, `ce-${runId}-w`]),
        );
      }
      if (topic === 'decisions') expect(decoded.map((d) => d.type)).toEqual(['decision.recorded', 'decision.recorded']);
      if (topic === 'revocations')
        expect(decoded).toEqual([expect.objectContaining({ type: 'revocation.notice', subject: A })]);
    });
  }
});
