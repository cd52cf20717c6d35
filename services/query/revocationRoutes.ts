// Data users' and auditors' side of withdrawal propagation:
//   PUT  /v1/data-users/{id}/webhook               admin or that data user: register the webhook, get its signing secret once
//   GET  /v1/revocations?cursor=&limit=            data user: its notices not yet acknowledged (pull), by cursor
//   GET  /v1/revocations/{noticeId}                data user: one of its notices
//   POST /v1/revocations/{noticeId}/acknowledgement  data user: "deleted" — signals the propagation workflow
//   GET  /v1/withdrawals/{eventId}                 auditor / admin / the hospital that recorded it: status per holder
// A notice of another data user is 404 (its existence is not revealed). Routes expect `authenticate`
// to have run (the service mounts it on /v1).
import express, { Router, type Request, type Response } from 'express';
import * as z from 'zod';
import { requireRole, callerOf } from '../../access/authenticate.js';
import { DomainError } from '../../contracts/domainError.js';
import { holderProgress, withdrawalProgress } from '../../contracts/consent/lifecycle.js';
import { EVENT_ID_PATTERN, DATA_USER_ID_PATTERN } from '../../contracts/consent/primitives.js';
import { toNotice, type NoticeDoc, type NoticeStore, type WithdrawalStatusDoc } from '../../revocations/notices.js';
import { SIGNATURE_HEADER, type WebhookRegistry } from '../../revocations/webhooks.js';
import type { AcknowledgeArgs } from '../../workflows/types.js';
import { attestationOf, checkSameAttestation } from './acknowledgement.js';

export interface RevocationDeps {
  notices: NoticeStore;
  webhooks: WebhookRegistry;
  /** Signal the withdrawal's propagation workflow; rejects with DomainError 'unavailable' when Temporal is down. */
  acknowledge(withdrawalId: string, args: AcknowledgeArgs): Promise<void>;
  /** A withdrawal the ledger recorded (its ingest receipt): its status is known before its holders are. */
  recordedWithdrawal(eventId: string): Promise<RecordedWithdrawal | undefined>;
  now(): Date;
}

export interface RecordedWithdrawal {
  subject: string;
  organisation: string;
  withdrawnAt: string;
}

export const MAX_PAGE = 500;
const WebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
});

function param(req: Request, name: string, pattern: RegExp, what: string): string {
  const raw: unknown = req.params[name];
  const v = typeof raw === 'string' ? raw : '';
  if (!pattern.test(v))
    throw new DomainError('invalid-request', `malformed ${what}`, [
      { field: `/${name}`, message: `not a valid ${what}` },
    ]);
  return v;
}

function ownNotice(doc: NoticeDoc | null, req: Request): NoticeDoc {
  if (doc?.dataUserId !== callerOf(req).principal)
    throw new DomainError('not-found', 'no such notice for this data user');
  return doc;
}

const progressOf = (d: NoticeDoc | undefined, now: string) =>
  holderProgress(
    {
      dueBy: d?.dueBy,
      acknowledged: d?.acknowledgedAt != null,
      attestation: d?.attestation,
      overdueRecorded: d?.overdueAt != null,
    },
    now,
  );

const noticeStatus = (d: NoticeDoc, now: string) => ({
  ...toNotice(d),
  acknowledgementReceivedAt: d.ackReceivedAt ?? null,
  acknowledgedAt: d.acknowledgedAt ?? null,
  overdue: progressOf(d, now) === 'overdue',
  status: progressOf(d, now),
  attestation: d.attestation ?? null,
});

export function revocationRoutes(deps: RevocationDeps): Router {
  const r = Router();
  const webhookBody = express.json({ limit: '8kb' });
  r.put('/v1/data-users/:id/webhook', requireRole('admin', 'dataUser'), webhookBody, registerWebhook(deps));
  r.get('/v1/revocations', requireRole('dataUser'), pendingNotices(deps));
  r.get('/v1/revocations/:noticeId', requireRole('dataUser'), oneNotice(deps));
  r.post(
    '/v1/revocations/:noticeId/acknowledgement',
    requireRole('dataUser'),
    express.json({ limit: '8kb' }),
    acknowledgeNotice(deps),
  );
  r.get('/v1/withdrawals/:eventId', requireRole('auditor', 'admin', 'hospital'), withdrawalStatusRoute(deps));
  return r;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/** A data user's webhook (admin or that data user): its signing secret is returned once. */
function registerWebhook(deps: RevocationDeps): Handler {
  return async (req, res) => {
    const id = param(req, 'id', DATA_USER_ID_PATTERN, 'data user id');
    const caller = callerOf(req);
    if (caller.role === 'dataUser' && caller.principal !== id)
      throw new DomainError('forbidden', 'a data user may register only its own webhook');
    const body = WebhookBody.safeParse(req.body);
    if (!body.success)
      throw new DomainError(
        'unprocessable',
        'invalid webhook registration',
        body.error.issues.map((i) => ({ field: `/${i.path.join('/')}`, message: i.message })),
      );
    const secret = await deps.webhooks.register(id, body.data.url, deps.now().toISOString());
    res.status(200).json({
      dataUserId: id,
      url: body.data.url,
      secret,
      signature: {
        header: SIGNATURE_HEADER,
        scheme: 't=<unix seconds>,v1=hex(HMAC-SHA256(secret, "<t>.<raw body>"))',
        key: 'the secret string exactly as returned here (its UTF-8 bytes; do not decode it)',
        idempotencyHeader: 'Idempotency-Key (the notice id)',
      },
    });
  };
}

/** The caller's notices not yet acknowledged, by cursor (pull). */
function pendingNotices(deps: RevocationDeps): Handler {
  return async (req, res) => {
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    if (cursor !== undefined && !EVENT_ID_PATTERN.test(cursor))
      throw new DomainError('invalid-request', 'malformed cursor', [
        { field: '/cursor', message: 'not a cursor from a previous page' },
      ]);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new DomainError('invalid-request', 'bad limit', [
        { field: '/limit', message: `must be an integer 1-${MAX_PAGE}` },
      ]);
    const page = await deps.notices.pending(callerOf(req).principal, cursor, limit + 1);
    const items = page.slice(0, limit);
    res.json({ items: items.map(toNotice), nextCursor: page.length > limit ? items[items.length - 1]!._id : null });
  };
}

/** One of the caller's notices, with its acknowledgement state. */
function oneNotice(deps: RevocationDeps): Handler {
  return async (req, res) => {
    const doc = ownNotice(await deps.notices.get(param(req, 'noticeId', EVENT_ID_PATTERN, 'notice id')), req);
    res.json(noticeStatus(doc, deps.now().toISOString()));
  };
}

/** The acknowledgement and its attestation: recorded (the first one stands), then signalled to the workflow. */
function acknowledgeNotice(deps: RevocationDeps): Handler {
  return async (req, res) => {
    const noticeId = param(req, 'noticeId', EVENT_ID_PATTERN, 'notice id');
    const before = ownNotice(await deps.notices.get(noticeId), req);
    const attestation = attestationOf(req.body, deps.now());
    if (before.ackReceivedAt !== undefined) checkSameAttestation(before.attestation, attestation);
    const doc = (await deps.notices.receiveAcknowledgement(noticeId, deps.now().toISOString(), attestation))!;
    if (before.ackReceivedAt === undefined) checkSameAttestation(doc.attestation, attestation); // a concurrent first
    // Signalled on every POST (idempotent in the workflow), so a retry after a 503 gets it through.
    await deps.acknowledge(doc.withdrawalId, {
      dataUserId: doc.dataUserId,
      noticeId,
      at: doc.ackReceivedAt!,
      ...(doc.attestation && { attestation: doc.attestation }),
    });
    res.status(202).json({
      noticeId,
      acknowledgementReceivedAt: doc.ackReceivedAt,
      acknowledgedAt: doc.acknowledgedAt ?? null,
      attestation: doc.attestation ?? null,
    });
  };
}

/** A withdrawal's propagation, from the moment it is on the ledger. */
function withdrawalStatusRoute(deps: RevocationDeps): Handler {
  return async (req, res) => {
    const id = param(req, 'eventId', EVENT_ID_PATTERN, 'event id');
    const status = await deps.notices.status(id);
    // Right after its 202 the withdrawal is on the ledger but its holders are not known yet: say so.
    const recorded = status ? undefined : await deps.recordedWithdrawal(id);
    const organisation = status?.withdrawal.organisation ?? recorded?.organisation;
    const caller = callerOf(req);
    if (organisation === undefined || (caller.role === 'hospital' && caller.principal !== organisation)) {
      throw new DomainError('not-found', 'no withdrawal with this id visible to this caller');
    }
    if (!status) {
      const { subject, withdrawnAt } = recorded!;
      res.json({
        withdrawalId: id,
        subject,
        withdrawnAt,
        status: 'determining-holders',
        completedAt: null,
        holders: [],
      });
      return;
    }
    res.json(withdrawalStatus(status, deps.now().toISOString()));
  };
}

/** Per holder and as a whole, by the lifecycle's rules (holderProgress / withdrawalProgress). */
function withdrawalStatus({ withdrawal, notices }: WithdrawalStatusDoc, now: string) {
  const byUser = new Map(notices.map((n) => [n.dataUserId, n]));
  const holders = withdrawal.holders.map((dataUserId) => {
    const n = byUser.get(dataUserId);
    const progress = progressOf(n, now);
    return {
      dataUserId,
      status: progress,
      noticeId: n?._id ?? null,
      sentAt: n?.sentAt ?? null,
      dueBy: n?.dueBy ?? null,
      webhookDeliveredAt: n?.delivery.deliveredAt ?? null,
      deliveryAttempts: n?.delivery.attempts ?? 0,
      acknowledgedAt: n?.acknowledgedAt ?? null,
      overdue: progress === 'overdue',
      attestation: n?.attestation ?? null,
    };
  });
  const completed = withdrawal.completedAt != null;
  return {
    withdrawalId: withdrawal._id,
    subject: withdrawal.subject,
    withdrawnAt: withdrawal.withdrawnAt,
    status: withdrawalProgress(
      { holdersKnown: true, completed },
      holders.map((h) => h.status),
    ),
    completedAt: withdrawal.completedAt ?? null,
    holders,
  };
}
