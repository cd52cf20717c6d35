// Withdrawal propagation end to end on the real servers: releases and a withdrawal on a real Kafka
// ledger, the real projector, dispatcher and worker processes, the dev Temporal server, real HTTP
// webhook receivers and the revocation routes (acknowledgements, pull, status). SLA periods are a
// few seconds (fractions of a day in CONSENT_POLICIES).
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { Scope } from '../contracts/consent/vocabulary.js';
import { runId } from '../test/serverEnv.js';
import { NoticeStore } from '../revocations/notices.js';
import { connectTemporalClient } from '../adapters/temporal.js';
import { startService } from '../test/harness/service.js';
import { testEnv } from '../test/serverEnv.js';
import { workflowIds } from './types.js';
import {
  eventually,
  revocationWiring,
  serveRevocationApi,
  startWorkflowStack,
  testPolicy,
  type Receiver,
  type WorkflowStack,
} from '../test/e2e/workflowKit.js';

const policy = testPolicy({ coolingOffS: 60, ackS: 20, remindS: [10] });
const ALL: Scope = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' };
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const tag = runId.replace(/[^A-Za-z0-9]/g, '');

function envelope(
  type: string,
  id: string,
  subject: string,
  data: object,
  occurredAt = iso(),
  source = 'org:rxh',
): LedgerEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type,
    subject,
    time: iso(),
    datacontenttype: 'application/json',
    dataversion: 1,
    data: { occurredAt, ...data },
  } as unknown as LedgerEvent;
}
const release = (subject: string, dataUserId: string, occurredAt = iso(Date.now() - 2000), source = 'org:rxh') =>
  envelope(
    'release.recorded',
    `${runId}-rel-${subject.slice(-6)}-${dataUserId}`,
    subject,
    { releaseId: `${runId}-rel`, dataUserId, purpose: 'research', dataCategories: ['ehr'] },
    occurredAt,
    source,
  );
const DAY = 86_400_000;

describe('withdrawal propagation (real Kafka, Temporal, worker process, webhooks)', () => {
  let stack: WorkflowStack;
  let auditor: string;
  const keys = new Map<string, string>();

  beforeAll(async () => {
    stack = await startWorkflowStack(
      `wfp-${runId}`,
      { projector: 18310, dispatcher: 18311, worker: 18312, api: 18313 },
      policy,
    );
    auditor = await stack.key('auditor', 'auditor:test');
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  async function dataUser(name: string, port: number, status: number): Promise<{ id: string; receiver: Receiver }> {
    const id = `du_${name}_${tag}`;
    const { key, receiver } = await stack.webhookHolder(id, port, status);
    keys.set(id, key);
    return { id, receiver };
  }
  const acknowledge = (dataUserId: string, noticeId: string) =>
    stack.call(`/v1/revocations/${noticeId}/acknowledgement`, keys.get(dataUserId)!, 'POST');
  const status = (withdrawalId: string) => stack.withdrawalStatus(withdrawalId, auditor);
  // The logical ledger: readers dedupe physical copies by event id (a crash between Kafka's ack and the receipt may leave two).
  const ofType = (events: LedgerEvent[], type: string, withdrawalId: string) => [
    ...new Map(
      events
        .filter((e) => e.type === type && (e.data as { withdrawalId?: string }).withdrawalId === withdrawalId)
        .map((e) => [e.id, e]),
    ).values(),
  ];

  it(
    '3 holders: one acknowledges, one is down for a while then recovers, one never answers → 2 acknowledged, 1 ' +
      'overdue; completed only when all acknowledged',
    async () => {
      const subject = `sub_${runId}_three_holders`;
      const withdrawalId = `${runId}-w3`;
      const a = await dataUser('ack', 18320, 200);
      const b = await dataUser('down', 18321, 503);
      const c = await dataUser('silent', 18322, 200);
      for (const h of [a, b])
        h.receiver.onDelivery = (d) => {
          void acknowledge(h.id, d.noticeId);
        };
      await stack.append([release(subject, a.id), release(subject, b.id), release(subject, c.id)]);
      await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);

      // b is down (503) for a while: retried with back-off, not acknowledged meanwhile.
      await eventually(
        async () =>
          ((await status(withdrawalId))?.holders.find((h) => h.dataUserId === b.id)?.deliveryAttempts ?? 0) >= 2 ||
          undefined,
        30_000,
        'b retried',
      );
      expect((await status(withdrawalId))!.holders.find((h) => h.dataUserId === b.id)!.acknowledgedAt).toBeNull();
      b.receiver.status = 200;

      const overdue = await eventually(
        async () => {
          const s = await status(withdrawalId);
          const row = (id: string) => s?.holders.find((h) => h.dataUserId === id);
          return row(a.id)?.acknowledgedAt && row(b.id)?.acknowledgedAt && row(c.id)?.overdue ? s : undefined;
        },
        45_000,
        '2 acknowledged, 1 overdue',
      );
      expect(overdue.completedAt).toBeNull();
      expect(overdue.holders.map((h) => [h.dataUserId, h.acknowledgedAt !== null, h.overdue])).toEqual(
        [
          [a.id, true, false],
          [b.id, true, false],
          [c.id, false, true],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      );

      // The silent holder got the notice and a reminder before the SLA — same notice id; nothing acknowledged it but itself.
      const cNotice = overdue.holders.find((h) => h.dataUserId === c.id)!.noticeId!;
      expect(cNotice).toBe(`ntc.${withdrawalId}.${c.id}`);
      expect(c.receiver.deliveries.map((d) => [d.kind, d.noticeId])).toEqual([
        ['notice', cNotice],
        ['reminder', cNotice],
      ]);
      expect(c.receiver.deliveries.every((d) => d.signatureValid)).toBe(true);

      // Another data user cannot see or acknowledge it; its owner can pull it.
      expect((await acknowledge(a.id, cNotice)).status).toBe(404);
      const pulled = (await (await stack.call('/v1/revocations?limit=10', keys.get(c.id)!)).json()) as {
        items: { noticeId: string }[];
      };
      expect(pulled.items.map((n) => n.noticeId)).toEqual([cNotice]);

      // The status says overdue from the clock (the lifecycle's rule); the workflow's revocation.overdue record
      // follows when its own timer fires, which on a loaded machine can be a moment later.
      let events = await eventually(
        async () => {
          const all = await stack.ledger();
          return ofType(all, 'revocation.overdue', withdrawalId).length > 0 ? all : undefined;
        },
        30_000,
        'revocation.overdue on the ledger',
      );
      expect(ofType(events, 'withdrawal.completed', withdrawalId)).toHaveLength(0);
      expect(
        ofType(events, 'revocation.overdue', withdrawalId).map((e) => (e.data as { dataUserId: string }).dataUserId),
      ).toEqual([c.id]);

      // The last one acknowledges (twice: idempotent) → completed.
      expect((await acknowledge(c.id, cNotice)).status).toBe(202);
      expect((await acknowledge(c.id, cNotice)).status).toBe(202);
      const done = await eventually(
        async () => {
          const s = await status(withdrawalId);
          return s?.completedAt ? s : undefined;
        },
        30_000,
        'completion',
      );
      expect(done.holders.every((h) => h.acknowledgedAt !== null)).toBe(true);

      events = await stack.ledger();
      const sent = ofType(events, 'revocation.sent', withdrawalId);
      expect(sent.map((e) => (e.data as { dataUserId: string }).dataUserId).sort()).toEqual([a.id, b.id, c.id].sort());
      expect(ofType(events, 'revocation.acknowledged', withdrawalId)).toHaveLength(3);
      const completed = ofType(events, 'withdrawal.completed', withdrawalId);
      expect(completed).toHaveLength(1);
      expect((completed[0]!.data as { dataUserIds: string[] }).dataUserIds).toEqual([a.id, b.id, c.id].sort());
      // Completion came after the last acknowledgement on the ledger.
      const order = events.map((e) => e.id);
      expect(order.indexOf(completed[0]!.id)).toBeGreaterThan(order.indexOf(`wf.${withdrawalId}.ack.${c.id}`));
    },
    150_000,
  );

  it('no holders → withdrawal.completed at once with an empty list; hospitals see only their own withdrawals', async () => {
    const subject = `sub_${runId}_no_holders`;
    const withdrawalId = `${runId}-w0`;
    await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);
    const s = await eventually(
      async () => {
        const st = await status(withdrawalId);
        return st?.completedAt ? st : undefined;
      },
      30_000,
      'completion',
    );
    expect(s.holders).toEqual([]);
    expect((await stack.call(`/v1/withdrawals/${withdrawalId}`, await stack.key('hospital', 'org:rxh'))).status).toBe(
      200,
    );
    expect((await stack.call(`/v1/withdrawals/${withdrawalId}`, await stack.key('hospital', 'org:other'))).status).toBe(
      404,
    );
    expect((await stack.call(`/v1/withdrawals/${withdrawalId}`, keys.values().next().value!)).status).toBe(403);
  }, 60_000);

  it('the worker is killed mid-propagation and restarted: it completes, every notice delivered, one notice id per holder', async () => {
    const subject = `sub_${runId}_worker_kill`;
    const withdrawalId = `${runId}-wk`;
    const holders = await Promise.all([
      dataUser('k1', 18330, 503),
      dataUser('k2', 18331, 503),
      dataUser('k3', 18332, 503),
    ]);
    for (const h of holders)
      h.receiver.onDelivery = (d) => {
        void acknowledge(h.id, d.noticeId);
      };
    await stack.append(holders.map((h) => release(subject, h.id)));
    await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);
    // Mid-propagation: every notice sent, deliveries failing and being retried.
    await eventually(
      async () => {
        const s = await status(withdrawalId);
        return s?.holders.length === 3 && s.holders.every((h) => h.noticeId && h.deliveryAttempts >= 1) ? s : undefined;
      },
      40_000,
      'notices sent',
    );
    await stack.worker.kill();
    for (const h of holders) h.receiver.status = 200;
    stack.worker = await stack.startWorker();

    const done = await eventually(
      async () => {
        const s = await status(withdrawalId);
        return s?.completedAt ? s : undefined;
      },
      90_000,
      'completion after restart',
    );
    expect(done.holders.filter((h) => !h.acknowledgedAt)).toEqual([]);
    // The delivery record is written by the delivery activity, which may finish just after the acknowledgement it caused.
    await eventually(
      async () => (await status(withdrawalId))!.holders.every((h) => h.webhookDeliveredAt) || undefined,
      15_000,
      'deliveries recorded',
    );
    for (const h of holders) {
      const ids = new Set(h.receiver.deliveries.map((d) => d.noticeId));
      expect([...ids]).toEqual([`ntc.${withdrawalId}.${h.id}`]);
    }
    const events = await stack.ledger();
    for (const type of ['revocation.sent', 'revocation.acknowledged']) {
      const byHolder = ofType(events, type, withdrawalId).map(
        (e) => e.data as { dataUserId: string; noticeId: string },
      );
      expect(byHolder.map((d) => d.dataUserId).sort()).toEqual(holders.map((h) => h.id).sort());
      for (const d of byHolder) expect(d.noticeId).toBe(`ntc.${withdrawalId}.${d.dataUserId}`);
    }
    expect(ofType(events, 'withdrawal.completed', withdrawalId)).toHaveLength(1);
  }, 180_000);

  it('a receiver whose signature check fails is retried, never taken as acknowledged, and delivered once it verifies', async () => {
    const subject = `sub_${runId}_bad_signature`;
    const withdrawalId = `${runId}-wsig`;
    const h = await dataUser('sig', 18323, 200);
    const right = h.receiver.secret!;
    h.receiver.secret = 'not-the-secret-that-was-returned'; // the receiver checks against the wrong secret → 401
    h.receiver.onDelivery = (d) => {
      void acknowledge(h.id, d.noticeId);
    };
    await stack.append([release(subject, h.id)]);
    await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);
    await eventually(
      async () => ((await status(withdrawalId))?.holders[0]?.deliveryAttempts ?? 0) >= 2 || undefined,
      30_000,
      'retries',
    );
    const during = (await status(withdrawalId))!;
    expect(during.holders[0]).toMatchObject({ acknowledgedAt: null, webhookDeliveredAt: null });
    expect(h.receiver.deliveries).toHaveLength(0);
    h.receiver.secret = right;
    const done = await eventually(
      async () => {
        const st = await status(withdrawalId);
        return st?.completedAt ? st : undefined;
      },
      30_000,
      'completion',
    );
    expect(done.holders[0]!.acknowledgedAt).not.toBeNull();
    expect(h.receiver.deliveries.length).toBeGreaterThan(0);
    expect(h.receiver.deliveries.every((d) => d.signatureValid && d.noticeId === `ntc.${withdrawalId}.${h.id}`)).toBe(
      true,
    );
  }, 90_000);

  it('an acknowledgement while Temporal is unreachable → 503 with Retry-After; it is kept for the retry', async () => {
    const server = await serveRevocationApi(
      stack.mongo.db,
      revocationWiring(stack.env, {
        temporal: { address: '127.0.0.1:18349', namespace: 'default' },
        signalTimeoutMs: 1000,
      }),
      18314,
      'silent',
    );
    try {
      const dataUserId = `du_offline_${tag}`;
      const key = await stack.key('dataUser', dataUserId);
      const noticeId = `ntc.${runId}-woff.${dataUserId}`;
      const notices = new NoticeStore(stack.mongo.db);
      await notices.issue({
        _id: noticeId,
        withdrawalId: `${runId}-woff`,
        subject: `sub_${runId}_offline`,
        dataUserId,
        scope: ALL,
        withdrawnAt: iso(),
        sentAt: iso(),
        dueBy: iso(Date.now() + 60_000),
      });
      const res = await fetch(`http://127.0.0.1:18314/v1/revocations/${noticeId}/acknowledgement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await notices.get(noticeId))!.ackReceivedAt).toBeTruthy();
    } finally {
      await server.close();
    }
  }, 30_000);

  const completion = (withdrawalId: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const s = await status(withdrawalId);
        return s?.completedAt ? s : undefined;
      },
      timeoutMs,
      `completion of ${withdrawalId}`,
    );
  const acknowledging = async (name: string, port: number) => {
    const h = await dataUser(name, port, 200);
    h.receiver.onDelivery = (d) => {
      void acknowledge(h.id, d.noticeId);
    };
    return h;
  };

  it('a paper withdrawal dated two days ago, entered after a release dated yesterday, reaches that holder', async () => {
    const subject = `sub_${runId}_late_paper`;
    const withdrawalId = `${runId}-wpaper`;
    const h = await acknowledging('paper', 18324);
    await stack.append([release(subject, h.id, iso(Date.now() - DAY))]);
    await stack.append([
      envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL }, iso(Date.now() - 2 * DAY)),
    ]);
    const done = await completion(withdrawalId);
    expect(done.holders.map((x) => [x.dataUserId, x.acknowledgedAt !== null])).toEqual([[h.id, true]]);
    expect(h.receiver.deliveries.map((d) => d.noticeId)).toEqual([`ntc.${withdrawalId}.${h.id}`]);
    const completed = ofType(await stack.ledger(), 'withdrawal.completed', withdrawalId);
    expect((completed[0]!.data as { dataUserIds: string[] }).dataUserIds).toEqual([h.id]);
  }, 60_000);

  it(
    'a release recorded after a withdrawal (and after a national opt-out) gets its own notice, and the ' +
      'audit lists it with the releasing organisation',
    async () => {
      const subject = `sub_${runId}_release_after`;
      const optedOut = `sub_${runId}_release_after_optout`;
      const withdrawalId = `${runId}-wlate`;
      const optOutId = `${runId}-onat`;
      const before = await acknowledging('before', 18325);
      const after = await acknowledging('after', 18326);
      const afterOptOut = await acknowledging('afteropt', 18327);
      await stack.append([release(subject, before.id)]);
      await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);
      await completion(withdrawalId);
      // The violations: released by org:uclh after the refusals were on record.
      const late = release(subject, after.id, iso(), 'org:uclh');
      await stack.append([late]);
      await stack.append([envelope('optout.registered', optOutId, optedOut, { scope: ALL, national: true })]);
      const lateOptOut = release(optedOut, afterOptOut.id, iso(), 'org:uclh');
      await stack.append([lateOptOut]);

      const noticeId = `ntr.${late.id}.${after.id}`;
      const optOutNoticeId = `ntr.${lateOptOut.id}.${afterOptOut.id}`;
      const acknowledged = (id: string) =>
        eventually(
          async () =>
            (await stack.ledger()).find((e) => e.type === 'revocation.acknowledged' && e.data.noticeId === id),
          45_000,
          `acknowledgement of ${id}`,
        );
      const [ack, ackOptOut] = await Promise.all([acknowledged(noticeId), acknowledged(optOutNoticeId)]);
      expect(ack.data).toMatchObject({ withdrawalId, dataUserId: after.id });
      expect(ackOptOut.data).toMatchObject({ withdrawalId: optOutId, dataUserId: afterOptOut.id });
      // Its own notice, naming the release; the holder recorded before the withdrawal got only the withdrawal's.
      expect(
        after.receiver.deliveries.map((d) => [
          d.noticeId,
          (d.body.notice as { releaseEventId?: string }).releaseEventId,
        ]),
      ).toEqual([[noticeId, late.id]]);
      expect(afterOptOut.receiver.deliveries.map((d) => d.noticeId)).toEqual([optOutNoticeId]);
      expect(before.receiver.deliveries.map((d) => d.noticeId)).toEqual([`ntc.${withdrawalId}.${before.id}`]);
      const events = await stack.ledger();
      const sent = events.filter((e) => e.type === 'revocation.sent' && e.data.noticeId === noticeId);
      expect([...new Set(sent.map((e) => e.id))]).toEqual([`wf.${late.id}.sent.${after.id}`]);
      // The withdrawal's own completion stays the one written when its holders acknowledged.
      expect(ofType(events, 'withdrawal.completed', withdrawalId)).toHaveLength(1);

      // The auditor sees both, through the audit service.
      const sealer = generateKeyPairSync('ed25519');
      const publicKey = sealer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const audit = await startService(
        'audit',
        { ...stack.env, AUDIT_PUBLIC_KEY: publicKey, AUDIT_PORT: '18315' },
        18315,
        `audit-${tag}`,
      );
      try {
        const get = (path: string) => fetch(`${audit.url}${path}`, { headers: { authorization: `Bearer ${auditor}` } });
        const body = (await (await get('/v1/audit/withdrawals')).json()) as {
          releasesAfterRefusal: { releaseEventId: string }[];
        };
        const listed = body.releasesAfterRefusal.filter((v) => [late.id, lateOptOut.id].includes(v.releaseEventId));
        expect(listed).toEqual([
          expect.objectContaining({
            releaseEventId: late.id,
            releasedBy: 'org:uclh',
            dataUserId: after.id,
            subject,
            refusalId: withdrawalId,
            refusalKind: 'withdrawal',
            notice: 'acknowledged-without-attestation',
          }),
          expect.objectContaining({
            releaseEventId: lateOptOut.id,
            releasedBy: 'org:uclh',
            dataUserId: afterOptOut.id,
            refusalId: optOutId,
            refusalKind: 'national-opt-out',
            notice: 'acknowledged-without-attestation',
          }),
        ]);
        // The release recorded before the withdrawal is no violation.
        expect(body.releasesAfterRefusal.map((v) => v.releaseEventId)).not.toContain(release(subject, before.id).id);
        const html = await (await get('/v1/audit/report?format=html')).text();
        const section = html.slice(
          html.indexOf('<h2>Releases after refusal</h2>'),
          html.indexOf('<h2>Overdue holders</h2>'),
        );
        expect(section).toContain(late.id);
        expect(section).toContain('org:uclh');
      } finally {
        await audit.stop();
      }
    },
    150_000,
  );

  it('a withdrawal reaches its holders while a burst of consents is pending, from its own task queue', async () => {
    const burst = 300;
    const subject = `sub_${runId}_during_burst`;
    const withdrawalId = `${runId}-wburst`;
    const holders = await Promise.all([18333, 18334, 18335].map((port, i) => acknowledging(`burst${i}`, port)));
    await stack.append(holders.map((h) => release(subject, h.id)));
    const consents = Array.from({ length: burst }, (_, i) =>
      envelope('consent.given', `${runId}-burst-c${i}`, `sub_${runId}_burst_${String(i).padStart(4, '0')}`, {
        scope: ALL,
        capture: { channel: 'in-person', setting: 'routine' },
        policyVersion: policy.version,
      }),
    );
    // The consents land on the ledger first, then the withdrawal behind them.
    for (let i = 0; i < burst; i += 100) await stack.append(consents.slice(i, i + 100));
    const t0 = Date.now();
    await stack.append([envelope('consent.withdrawn', withdrawalId, subject, { scope: ALL })]);
    await eventually(
      () => Promise.resolve(holders.every((h) => h.receiver.deliveries.length > 0) || undefined),
      60_000,
      'every holder notified',
    );
    const seconds = (Date.now() - t0) / 1000;
    await completion(withdrawalId);
    const temporal = await connectTemporalClient({
      address: testEnv.TEMPORAL_ADDRESS,
      namespace: testEnv.TEMPORAL_NAMESPACE,
    });
    try {
      const propagation = await temporal.client.workflow.getHandle(workflowIds.withdrawal(withdrawalId)).describe();
      // Where the time went: the dispatcher's start, then the holders (projection) and the first notice.
      const firstSent = ofType(await stack.ledger(), 'revocation.sent', withdrawalId)
        .map((e) => Date.parse(e.time))
        .sort()[0]!;
      const at = (ms: number) => `${((ms - t0) / 1000).toFixed(2)} s`;
      console.log(
        `withdrawal during a burst of ${burst} consents: started ${at(propagation.startTime.getTime())}, ` +
          `first revocation.sent ${at(firstSent)}, all ${holders.length} webhooks ${seconds.toFixed(2)} s`,
      );
      expect(propagation.taskQueue).toBe(stack.env.TEMPORAL_PROPAGATION_TASK_QUEUE);
      const consent = await temporal.client.workflow.getHandle(workflowIds.coolingOff(consents[0]!.id)).describe();
      expect(consent.taskQueue).toBe(stack.env.TEMPORAL_TASK_QUEUE);
      // Still in their cooling-off: the withdrawal did not wait for them.
      expect(consent.status.name).toBe('RUNNING');
    } finally {
      await temporal.close();
    }
  }, 180_000);
});
