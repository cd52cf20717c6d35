// Issue 6, access matrix: every endpoint of ingest, query and audit × seven callers (hospital A,
// hospital B, data user X, data user Y, auditor, admin, anonymous). Allowed cells answer 2xx; every
// other cell answers its designed refusal (401/403/404) and changes NOTHING: the ledger, decision-log
// and revocation topics' end offsets and the service-written Mongo collections are the same after it.
// (The projection collections are derived from the ledger alone, so unchanged ledger offsets cover them.)
// Also: a data user sees only its own revocation notices and releases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { approvals, NHS_ACADEMIC_RESEARCH, startQueryStack, type QueryStack } from '../e2e/queryKit.js';
import { sealerKeys } from '../harness/auditLedger.js';
import { NoticeStore } from '../../revocations/notices.js';
import { CALLERS, ENDPOINTS, expected, principalOf, type CallerName, type Endpoint, type Fixtures } from './matrix.js';

const PORTS = { query: 18510, projector: 18511, ingest: 18512, audit: 18513 };
const WATCHED_COLLECTIONS = [
  'ingest_receipts',
  'ingest_receipts_written',
  'query_releases',
  'revocation_notices',
  'revocation_notice_marks',
  'revocation_withdrawals',
  'revocation_webhooks',
  'credentials',
];

describe('access matrix: every endpoint × every role', () => {
  let s: QueryStack;
  let audit: RunningService;
  const keys = {} as Record<CallerName, string>;
  const f: Fixtures = {
    runId,
    subject: '',
    subjectOfA: '',
    nhsNumberOfA: '',
    receiptEventId: '',
    withdrawalId: `acc-${runId}-withdrawal`,
    noticeX: `acc-${runId}-notice-x`,
    dataUserX: `du_accx${runId}`,
    dataUserY: `du_accy${runId}`,
  };
  const noticeY = `acc-${runId}-notice-y`;
  const urls = () => ({ ingest: s.ingest!.url, query: s.query.url, audit: audit.url });

  const send = (e: Endpoint, who: CallerName) => {
    const body = e.raw ? e.raw(f) : e.body ? JSON.stringify(e.body(f, who)) : undefined;
    return fetch(`${urls()[e.service]}${e.path(f)}`, {
      method: e.method,
      headers: {
        ...(who !== 'anonymous' && { authorization: `Bearer ${keys[who]}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body }),
    });
  };

  /** Everything a request could have changed: topic end offsets and the contents of the service-written collections. */
  const snapshot = async () => {
    const admin = s.kafka.admin();
    await admin.connect();
    try {
      const offsets = await Promise.all(
        [s.topics.names.ledger, s.topics.names.decisions, s.topics.names.revocations].map(async (t) => [
          t,
          (await admin.fetchTopicOffsets(t)).map((p) => `${p.partition}:${p.high}`).join(','),
        ]),
      );
      const collections = await Promise.all(
        WATCHED_COLLECTIONS.map(async (c) => {
          const docs = await s.mongo.db.collection(c).find({}).sort({ _id: 1 }).toArray();
          return [c, docs.length, createHash('sha256').update(JSON.stringify(docs)).digest('hex').slice(0, 16)];
        }),
      );
      return JSON.stringify({ offsets, collections });
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    s = await startQueryStack(`access-${runId}`, PORTS);
    audit = await startService(
      'audit',
      { ...s.env, AUDIT_PUBLIC_KEY: sealerKeys().publicKeyBase64, AUDIT_PORT: String(PORTS.audit) },
      PORTS.audit,
      `access-audit-${runId}`,
    );
    const roleOf: Record<Exclude<CallerName, 'anonymous'>, Parameters<QueryStack['key']>[0]> = {
      hospitalA: 'hospital',
      hospitalB: 'hospital',
      dataUserX: 'dataUser',
      dataUserY: 'dataUser',
      auditor: 'auditor',
      admin: 'admin',
    };
    for (const who of Object.keys(roleOf) as (keyof typeof roleOf)[])
      keys[who] = await s.key(roleOf[who], principalOf(who, f));
    for (const dataUserId of [f.dataUserX, f.dataUserY]) {
      const res = await s.call('/v1/data-users', keys.admin, {
        body: {
          dataUserId,
          name: 'matrix data user',
          category: 'academic',
          jurisdiction: 'uk',
          approvals: approvals(['research']),
        },
      });
      expect(res.status).toBe(202);
    }
    // Hospital A records a consent (the subject and the receipt every caller is tried against).
    const [nhsNumber, nhsNumberOfA] = syntheticNhsNumbers(2, Date.now() + 6061);
    f.nhsNumberOfA = nhsNumberOfA!;
    const given = await fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.hospitalA}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: `acc-${runId}-consent`,
        source: principalOf('hospitalA', f),
        type: 'consent.given',
        dataversion: 1,
        nhsNumber,
        data: {
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          scope: NHS_ACADEMIC_RESEARCH,
          capture: { channel: 'in-person', setting: 'routine' },
          policyVersion: '2026-01',
        },
      }),
    });
    expect(given.status).toBe(202);
    const receipt = (await given.json()) as { eventId: string; subject: string };
    f.subject = receipt.subject;
    f.receiptEventId = receipt.eventId;
    // A second person, recorded by hospital A alone (no matrix cell writes for it): who may read a subject.
    const onlyA = await fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.hospitalA}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: `acc-${runId}-consent-of-a`,
        source: principalOf('hospitalA', f),
        type: 'consent.given',
        dataversion: 1,
        nhsNumber: nhsNumberOfA,
        data: {
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          scope: NHS_ACADEMIC_RESEARCH,
          capture: { channel: 'in-person', setting: 'routine' },
          policyVersion: '2026-01',
        },
      }),
    });
    expect(onlyA.status).toBe(202);
    f.subjectOfA = ((await onlyA.json()) as { subject: string }).subject;
    // A withdrawal by hospital A whose propagation reached X and Y: the notice store as the workflow leaves it
    // (the workflow tests cover how it gets there; here only who may read and acknowledge matters).
    const notices = new NoticeStore(s.mongo.db);
    const now = new Date().toISOString();
    await notices.recordHolders({
      _id: f.withdrawalId,
      subject: f.subject,
      organisation: principalOf('hospitalA', f),
      withdrawnAt: now,
      holders: [f.dataUserX, f.dataUserY],
      holdersFoundAt: now,
    });
    for (const [noticeId, dataUserId] of [
      [f.noticeX, f.dataUserX],
      [noticeY, f.dataUserY],
    ] as const) {
      await notices.issue({
        _id: noticeId,
        withdrawalId: f.withdrawalId,
        subject: f.subject,
        dataUserId,
        scope: NHS_ACADEMIC_RESEARCH as never,
        withdrawnAt: now,
        sentAt: now,
        dueBy: new Date(Date.now() + 86_400_000).toISOString(),
      });
    }
    // One release to each data user (recorded by hospital A for X, by the admin for Y).
    for (const [who, dataUserId] of [
      ['hospitalA', f.dataUserX],
      ['admin', f.dataUserY],
    ] as const) {
      const res = await s.call('/v1/releases', keys[who], {
        body: {
          releaseId: `fixture-${runId}-${dataUserId}`,
          dataUserId,
          purpose: 'research',
          dataCategories: ['ehr'],
          subjects: [f.subject],
        },
      });
      expect(res.status).toBe(202);
    }
  });
  afterAll(async () => {
    await audit?.stop();
    await s?.close();
  });

  it('a data user sees only its own revocation notices and releases', async () => {
    const pull = async (who: CallerName) =>
      (
        (await (await s.call('/v1/revocations', keys[who])).json()) as {
          items: { noticeId: string; dataUserId: string }[];
        }
      ).items;
    expect((await pull('dataUserX')).map((n) => n.noticeId)).toEqual([f.noticeX]);
    expect((await pull('dataUserY')).map((n) => n.noticeId)).toEqual([noticeY]);
    expect((await s.call(`/v1/revocations/${noticeY}`, keys.dataUserX)).status).toBe(404);
    expect((await s.call(`/v1/revocations/${f.noticeX}`, keys.dataUserY)).status).toBe(404);
    const releases = async (who: CallerName, q = '') =>
      (
        (await (await s.call(`/v1/releases${q}`, keys[who])).json()) as { releases: { dataUserId: string }[] }
      ).releases.map((r) => r.dataUserId);
    expect(await releases('dataUserX')).toEqual([f.dataUserX]);
    expect(await releases('dataUserY')).toEqual([f.dataUserY]);
    expect((await s.call(`/v1/releases?dataUserId=${f.dataUserY}`, keys.dataUserX)).status).toBe(403);
    // A hospital sees the releases it recorded; the admin and the auditor see all.
    expect(await releases('hospitalA')).toEqual([f.dataUserX]);
    expect(await releases('hospitalB')).toEqual([]);
    expect((await releases('auditor')).sort()).toEqual([f.dataUserX, f.dataUserY].sort());
  });

  it("fuzz findings: a release refused for its content names the request's own field and writes nothing", async () => {
    const bad = [
      [{ occurredAt: '2999-01-01T00:00:00Z' }, '#/occurredAt'],
      [{ dataCategories: ['ehr', 'imaging', 'ehr'] }, '#/dataCategories/2'],
    ] as const;
    for (const [change, pointer] of bad) {
      const before = await snapshot();
      const res = await s.call('/v1/releases', keys.admin, {
        body: {
          releaseId: `bad-${runId}`,
          dataUserId: f.dataUserX,
          purpose: 'research',
          dataCategories: ['ehr'],
          subjects: [f.subject],
          ...change,
        },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual([pointer]);
      expect(await snapshot()).toBe(before);
    }
  });

  it(
    `${ENDPOINTS.length} endpoints × ${CALLERS.length} callers: allowed cells work, refused cells answer as designed and change nothing`,
    { timeout: 170_000 },
    async () => {
      const wrong: string[] = [];
      let allowedCells = 0,
        refusedCells = 0;
      for (const e of ENDPOINTS) {
        for (const who of CALLERS) {
          const want = expected(e, who);
          const cell = `${e.method} ${e.path(f)} as ${who}`;
          const watch = !want.allowed || e.writes === true;
          const before = watch ? await snapshot() : '';
          const res = await send(e, who);
          const text = await res.text();
          if (res.status !== want.status) {
            wrong.push(`${cell}: ${res.status}, expected ${want.status} (${text.slice(0, 200)})`);
            continue;
          }
          if (want.allowed) {
            allowedCells++;
            // The snapshot must see an allowed write, or "unchanged" would prove nothing.
            if (e.writes && (await snapshot()) === before)
              wrong.push(`${cell}: allowed write changed nothing the snapshot sees`);
            continue;
          }
          refusedCells++;
          if (!res.headers.get('content-type')?.startsWith('application/problem+json'))
            wrong.push(`${cell}: refusal is not problem JSON`);
          const after = await snapshot();
          if (after !== before)
            wrong.push(`${cell}: refused but something changed\n  before ${before}\n  after  ${after}`);
        }
      }
      console.log(
        `access matrix: ${ENDPOINTS.length} endpoints × ${CALLERS.length} callers = ${allowedCells + refusedCells} cells ` +
          `checked (${allowedCells} allowed, ${refusedCells} refused and unchanged), ${wrong.length} wrong`,
      );
      expect(wrong).toEqual([]);
    },
  );
});
