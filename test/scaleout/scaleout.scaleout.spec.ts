// Scale-out on one machine: two instances of every service (ingest, query, projector, dispatcher,
// worker, sealer, audit) on one ledger, one database and one task queue, as a national deployment runs
// them behind one address each. Load runs (hospital events posted to both ingest instances, releases
// and decisions asked of both query instances); one instance of each is SIGKILLed and restarted, and a
// third projector joins its consumer group mid-load (a rebalance with batches in flight). Then:
//   - every acknowledged (202) event is on the ledger exactly once, by event id;
//   - a decision asked of EITHER query instance after a withdrawal's receipt never permits;
//   - every withdrawal's propagation completes (a webhook delivered to each holder, acknowledged,
//     withdrawal.completed on the ledger once);
//   - the projection equals a fresh replay (the audit API's replay, asked of one audit instance);
//   - the two sealers (one of them killed and restarted, so they took partitions from each other) left
//     one chain per partition, and the audit API's verify (the other audit instance) is clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runId, testEnv } from '../serverEnv.js';
import { createKafka, partitionCount } from '../../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../../adapters/mongo.js';
import { createLogger } from '../../adapters/logger.js';
import { CredentialStore, type Role } from '../../access/credentials.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { appendOnce } from '../../ledger/appendOnce.js';
import { readCheckpoints } from '../../ledger/checkpoints.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { projectionReader } from '../../projections/reader.js';
import { createTestTopics, type TestTopics } from '../harness/topics.js';
import { startService, type RunningService } from '../harness/service.js';
import { readTopic } from '../harness/ledger.js';
import { sealerKeys, waitSealed } from '../harness/auditLedger.js';
import { caughtUp } from '../harness/projector.js';
import { dropTestDatabase } from '../harness/databases.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { approvals, consentEffective, NHS_ACADEMIC_RESEARCH, SCOPE_ALL } from '../e2e/queryKit.js';
import { eventually, startReceiver, type Receiver } from '../e2e/workflowKit.js';
import { figures, pool, secondsSince, sleep } from '../faults/faultKit.js';

const tag = `so${runId.replace(/[^A-Za-z0-9]/g, '')}`;
const SUBJECTS = Number(process.env.SCALEOUT_SUBJECTS ?? 24);
const SERVICES = ['ingest', 'query', 'projector', 'dispatcher', 'worker', 'sealer', 'audit'] as const;
type Service = (typeof SERVICES)[number];
/** Instance i of a service listens on BASE + 10·(service index) + i. */
const portOf = (s: Service, i: number) => 18700 + 10 * SERVICES.indexOf(s) + i;
const RECEIVER_PORTS = [18790, 18791];
const PORT_VARIABLE: Record<Service, string> = {
  ingest: 'INGEST_PORT',
  query: 'QUERY_PORT',
  projector: 'PROJECTOR_PORT',
  dispatcher: 'DISPATCHER_PORT',
  worker: 'WORKER_PORT',
  sealer: 'SEALER_PORT',
  audit: 'AUDIT_PORT',
};

describe('every service scaled out to two instances, one of each killed, a group rebalanced', () => {
  const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `scaleout-${tag}` });
  const keys = sealerKeys();
  let topics: TestTopics;
  let mongo: MongoHandle;
  let ledger: Awaited<ReturnType<typeof openLedgerAppender>>;
  let env: Record<string, string>;
  const running = new Map<string, RunningService>();
  const receivers: Receiver[] = [];
  const key: Partial<Record<'hospital' | 'admin' | 'auditor', string>> = {};
  const holders: { id: string; key: string; receiver: Receiver }[] = [];
  /** Event ids the services acknowledged with 202 (ingest receipts, releases, registrations). */
  const acknowledged = new Set<string>();
  /** Decisions asked after a withdrawal's receipt that permitted (must stay empty), and 503s met meanwhile. */
  const permittedAfterWithdrawal: string[] = [];
  let notFresh = 0;
  let failedOver = 0;

  const start = (s: Service, i: number) =>
    startService(s, { ...env, [PORT_VARIABLE[s]]: String(portOf(s, i)) }, portOf(s, i), `${s}-${i}-${tag}`).then(
      (r) => void running.set(`${s}-${i}`, r),
    );
  const url = (s: Service, i: number) => `http://127.0.0.1:${portOf(s, i)}`;

  /** A call with a credential; undefined when the instance does not answer (killed, restarting). */
  async function call(base: string, path: string, apiKey: string, method = 'GET', body?: unknown) {
    return fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).catch(() => undefined);
  }

  /** POST to instance `first` of `s`, falling over to the other while it answers nothing or 503 — a load
   *  balancer's retry, the same body (same event id) sent again. Resolves with the 202 body. */
  async function acknowledgedBy<T>(s: 'ingest' | 'query', first: number, path: string, apiKey: string, body: unknown) {
    for (let attempt = 0; attempt < 240; attempt++) {
      const i = (first + attempt) % 2;
      const res = await call(url(s, i), path, apiKey, 'POST', body);
      if (res?.status === 202) return (await res.json()) as T;
      if (res && res.status !== 503) throw new Error(`${s}-${i} ${path} answered ${res.status}: ${await res.text()}`);
      if (attempt > 0) failedOver++;
      await sleep(250);
    }
    throw new Error(`no ${s} instance acknowledged ${path}`);
  }

  let seq = 0;
  const hospitalEvent = async (i: number, type: string, who: Record<string, string>, data: Record<string, unknown>) => {
    const r = await acknowledgedBy<{ eventId: string; subject: string }>('ingest', i % 2, '/v1/events', key.hospital!, {
      specversion: '1.0',
      id: `${tag}-${++seq}`,
      source: 'org:rxh',
      type,
      dataversion: 1,
      ...who,
      data: { occurredAt: new Date(Date.now() - 1000).toISOString(), ...data },
    });
    acknowledged.add(r.eventId);
    return r;
  };

  /** A decision of instance i: its status and decision (undefined: no answer). */
  async function decide(i: number, subject: string, dataUserKey: string) {
    const res = await call(url('query', i), '/v1/decisions', dataUserKey, 'POST', {
      subject,
      purpose: 'research',
      dataCategory: 'ehr',
    });
    if (!res) return undefined;
    return {
      status: res.status,
      decision: res.status === 200 ? ((await res.json()) as { decision: string }).decision : '',
    };
  }

  /** A person who consents (through ingest instance i % 2), whose consent takes effect, whose data is
   *  released to every holder (through query instance i % 2), and whom both query instances then permit. */
  async function consentedAndReleased(i: number, nhsNumber: string) {
    const given = await hospitalEvent(
      i,
      'consent.given',
      { nhsNumber },
      {
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        scope: NHS_ACADEMIC_RESEARCH,
        capture: { channel: 'in-person', setting: 'routine' },
        policyVersion: '2026-01',
      },
    );
    const effective = consentEffective(given.eventId, given.subject);
    await appendOnce(ledger, [effective]);
    acknowledged.add(effective.id);
    for (const [n, h] of holders.entries()) {
      const releaseId = `${tag}-rel-${i}-${n}`;
      await acknowledgedBy('query', i % 2, '/v1/releases', key.hospital!, {
        releaseId,
        dataUserId: h.id,
        purpose: 'research',
        dataCategories: ['ehr'],
        subjects: [given.subject],
      });
      acknowledged.add(`${releaseId}.${given.subject}`);
    }
    for (const q of [0, 1])
      await eventually(
        async () => ((await decide(q, given.subject, holders[0]!.key))?.decision === 'permit' ? true : undefined),
        60_000,
        `permit from query-${q}`,
      );
    return given.subject;
  }

  beforeAll(async () => {
    topics = await createTestTopics(kafka, tag);
    const db = `scaleout_test_${tag}`;
    env = {
      ...topics.env,
      MONGO_DB: db,
      TEMPORAL_TASK_QUEUE: `wf-${tag}`,
      TEMPORAL_PROPAGATION_TASK_QUEUE: `wfp-${tag}`,
      // One group per service, shared by its instances: N instances split the partitions.
      PROJECTOR_GROUP_ID: `projector-${tag}`,
      DISPATCHER_GROUP_ID: `dispatcher-${tag}`,
      SEALER_GROUP: `sealer-${tag}`,
      PSEUDONYM_KEY: Buffer.alloc(32, 7).toString('base64'),
      WEBHOOK_SIGNING_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_MAX_BACKOFF_MS: '2000',
      WEBHOOK_TIMEOUT_MS: '2000',
      SEALER_SIGNING_KEY: keys.signingKeyBase64,
      SEALER_EVERY_RECORDS: '20',
      SEALER_EVERY_MS: '500',
      AUDIT_PUBLIC_KEY: keys.publicKeyBase64,
    };
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
    ledger = await openLedgerAppender({
      kafka,
      db: mongo.db,
      owner: randomUUID(),
      log: createLogger(`scaleout-${tag}`, 'warn'),
      topic: topics.names.ledger,
      partitions: await partitionCount(kafka, topics.names.ledger),
    });
    const creds = new CredentialStore(mongo.db);
    const credential = async (role: Role, principal: string) => (await creds.create(role, principal)).apiKey;
    key.hospital = await credential('hospital', 'org:rxh');
    key.admin = await credential('admin', 'admin:ops');
    key.auditor = await credential('auditor', 'auditor:ico');
    await Promise.all(SERVICES.flatMap((s) => [start(s, 0), start(s, 1)]));

    // Two data users (registered through one query instance each), each with a webhook receiver that
    // acknowledges every notice it is sent — through either query instance, whichever answers.
    for (const [n, port] of RECEIVER_PORTS.entries()) {
      const id = `du_so${n}_${tag}`;
      const reg = await acknowledgedBy<{ eventId?: string }>('query', n, '/v1/data-users', key.admin, {
        dataUserId: id,
        name: `holder ${n}`,
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      });
      if (reg.eventId) acknowledged.add(reg.eventId);
      const apiKey = await credential('dataUser', id);
      const receiver = await startReceiver(port, 200);
      receivers.push(receiver);
      const res = await call(url('query', n), `/v1/data-users/${id}/webhook`, apiKey, 'PUT', { url: receiver.url });
      expect(res?.status).toBe(200);
      receiver.secret = ((await res!.json()) as { secret: string }).secret;
      receiver.onDelivery = (d) => {
        void (async () => {
          for (let a = 0; a < 240; a++) {
            const r = await call(url('query', a % 2), `/v1/revocations/${d.noticeId}/acknowledgement`, apiKey, 'POST');
            if (r?.status === 202) return;
            await sleep(500);
          }
        })();
      };
      holders.push({ id, key: apiKey, receiver });
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((r) => r.stop()));
    await Promise.all(receivers.map((r) => r.close()));
    await ledger?.close();
    if (mongo) {
      await dropTestDatabase(mongo.db);
      await mongo.close();
    }
  }, 120_000);

  it('load through both instances, one of each SIGKILLed and restarted, a third projector joining: every guarantee holds', async () => {
    const t0 = performance.now();
    const numbers = syntheticNhsNumbers(SUBJECTS, Date.now() + 23);
    const subjects: string[] = [];
    const half = Math.floor(SUBJECTS / 2);
    await pool(numbers.slice(0, half), 2, async (n, i) => void subjects.push(await consentedAndReleased(i, n)));
    const loadedS = secondsSince(t0);

    // Second half of the load, running while one instance of each service is SIGKILLed and restarted
    // and a third projector joins the group (its partitions move with batches in flight).
    const loading = pool(numbers.slice(half), 2, async (n, i) => {
      subjects.push(await consentedAndReleased(half + i, n));
    });
    while (subjects.length < half + 2) await sleep(100);
    const killedAt = subjects.length;
    await Promise.all(SERVICES.map((s) => running.get(`${s}-0`)!.kill()));
    await Promise.all([...SERVICES.map((s) => start(s, 0)), start('projector', 2)]);
    await loading;
    const restartedS = secondsSince(t0);

    // Withdrawals, through both ingest instances; the moment each receipt is back, both query instances
    // are asked: neither may permit (a 503 "not fresh yet" is allowed, then it must deny).
    const withdrawals: string[] = [];
    await pool(subjects, 2, async (subject, i) => {
      const w = await hospitalEvent(
        i,
        'consent.withdrawn',
        { subject },
        {
          occurredAt: new Date().toISOString(),
          scope: SCOPE_ALL,
        },
      );
      withdrawals.push(w.eventId);
      for (const q of [0, 1]) {
        for (;;) {
          const d = await decide(q, subject, holders[q]!.key);
          if (d?.status === 200) {
            if (d.decision === 'permit') permittedAfterWithdrawal.push(`${subject} on query-${q}`);
            break;
          }
          notFresh++;
          await sleep(200);
        }
      }
    });

    // Every propagation completes: each holder got a notice per withdrawal and acknowledged it.
    const ofType = (events: LedgerEvent[], type: string) =>
      events.filter((e) => e.type === type).map((e) => (e.data as { withdrawalId: string }).withdrawalId);
    const events = await eventually(
      async () => {
        const all = (await readTopic(kafka, topics.names.ledger)).map(
          (r) => JSON.parse(r.value.toString('utf8')) as LedgerEvent,
        );
        const done = new Set(ofType(all, 'withdrawal.completed'));
        return withdrawals.every((w) => done.has(w)) ? all : undefined;
      },
      150_000,
      'every withdrawal completed',
    );
    const propagatedS = secondsSince(t0);
    const completed = ofType(events, 'withdrawal.completed');
    expect(completed.sort()).toEqual([...withdrawals].sort()); // once each
    for (const h of holders)
      expect(new Set(h.receiver.deliveries.map((d) => d.noticeId))).toEqual(
        new Set(withdrawals.map((w) => `ntc.${w}.${h.id}`)),
      );

    // Every acknowledged event on the ledger exactly once.
    const copies = new Map<string, number>();
    for (const e of events) copies.set(e.id, (copies.get(e.id) ?? 0) + 1);
    expect([...acknowledged].filter((id) => copies.get(id) !== 1).map((id) => `${id} ×${copies.get(id) ?? 0}`)).toEqual(
      [],
    );
    expect(permittedAfterWithdrawal).toEqual([]);

    // The projection (three projectors, one killed) equals a fresh replay of the ledger.
    await caughtUp(kafka, topics.names.ledger, projectionReader(mongo.db), 120_000);
    const replay = await call(url('audit', 1), '/v1/audit/replay', key.auditor!);
    expect(replay?.status).toBe(200);
    const replayed = (await replay!.json()) as { ok: boolean; differences: unknown[]; records: number };
    expect(replayed.differences).toEqual([]);
    expect(replayed.ok).toBe(true);

    // Two sealers (one killed and restarted): one chain per partition, verify clean.
    await waitSealed(kafka, topics.names.ledger, topics.names.checkpoints, 90_000);
    const log = await readCheckpoints(kafka, topics.names.checkpoints, topics.names.ledger);
    expect(log.problems).toEqual([]);
    for (const [, list] of log.byPartition) {
      expect(list.map((c) => c.sequence)).toEqual(list.map((_, i) => i));
      expect(list.map((c) => c.fromOffset)).toEqual(
        list.map((_, i) => (i === 0 ? '0' : String(BigInt(list[i - 1]!.toOffset) + 1n))),
      );
    }
    const verify = await call(url('audit', 0), '/v1/audit/verify', key.auditor!);
    expect(verify?.status).toBe(200);
    const verified = (await verify!.json()) as { ok: boolean; problems: unknown[]; totals: { unsealed: number } };
    expect(verified.problems).toEqual([]);
    expect(verified).toMatchObject({ ok: true, totals: { unsealed: 0 } });
    const sealerLogs = [0, 1].map((i) => readFileSync(running.get(`sealer-${i}`)!.logFile, 'utf8'));
    for (const l of sealerLogs) expect(l).toContain('checkpoint published');

    figures('scaleout', {
      subjects: subjects.length,
      acknowledged: acknowledged.size,
      ledgerRecords: events.length,
      killedAfterSubjects: killedAt,
      failedOver,
      notFreshAnswers: notFresh,
      permittedAfterWithdrawal: permittedAfterWithdrawal.length,
      withdrawalsCompleted: new Set(completed).size,
      checkpoints: [...log.byPartition.values()].reduce((n, l) => n + l.length, 0),
      loadedS,
      restartedS,
      propagatedS,
      durationS: secondsSince(t0),
    });
  }, 360_000);
});
