// The data-user registry: registering a data user and granting approvals are admin actions recorded
// on the ledger (dataUser.registered / dataUser.approved, source sys:registry); the projector folds
// them (contracts evolveDataUser) and decisions read the result.
//   POST /v1/data-users                 admin            → 202 with the ledger position
//   POST /v1/data-users/{id}/approvals  admin            → 202
//   GET  /v1/data-users                 admin, auditor
//   GET  /v1/data-users/{id}            admin, auditor, the data user itself
// Event ids: `<dataUserId>.registered.<requestId|initial>`, `<dataUserId>.approved.<requestId>`.
import express, { Router } from 'express';
import { callerOf, requireRole } from '../../access/authenticate.js';
import { DomainError } from '../../contracts/domainError.js';
import { DataUserIdSchema } from '../../contracts/consent/primitives.js';
import type { LedgerAppender } from '../../ledger/appendOnce.js';
import { ApproveDataUser, RegisterDataUser, parseOr400 } from './schemas.js';
import { REGISTRY_SOURCE, appendChunked, occurredAtFor, positionOf, systemEvent } from './registryEvents.js';
import type { QueryDeps } from './deps.js';
import * as z from 'zod';

const IdPath = z.object({ id: DataUserIdSchema });

export function dataUserRoutes(deps: QueryDeps & { ledger: LedgerAppender }): Router {
  const r = Router();
  const json = express.json({ limit: '64kb' });
  r.post('/v1/data-users', requireRole('admin'), json, async (req, res) => {
    const body = parseOr400(RegisterDataUser, req.body);
    const id = `${body.dataUserId}.registered.${body.requestId ?? 'initial'}`;
    const now = deps.now().toISOString();
    const occurredAt = await occurredAtFor(deps.ledger, id, now);
    const event = systemEvent('dataUser.registered', id, body.dataUserId, REGISTRY_SOURCE, now, {
      occurredAt,
      dataUserId: body.dataUserId,
      name: body.name,
      category: body.category,
      jurisdiction: body.jurisdiction,
      approvals: body.approvals,
    });
    const [appended] = await appendChunked(deps.ledger, [event]);
    if (appended!.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({ dataUserId: body.dataUserId, ...positionOf(appended!) });
  });
  r.post('/v1/data-users/:id/approvals', requireRole('admin'), json, async (req, res) => {
    const { id: dataUserId } = parseOr400(IdPath, req.params);
    const body = parseOr400(ApproveDataUser, req.body);
    // The fold ignores an approval for an unregistered data user: refuse it rather than record a no-op.
    if (!(await deps.fresh.dataUser(dataUserId)))
      throw new DomainError('not-found', `data user ${dataUserId} is not registered`, [
        { field: '/id', message: 'register the data user first' },
      ]);
    const id = `${dataUserId}.approved.${body.requestId}`;
    const now = deps.now().toISOString();
    const occurredAt = await occurredAtFor(deps.ledger, id, now);
    const event = systemEvent('dataUser.approved', id, dataUserId, REGISTRY_SOURCE, now, {
      occurredAt,
      dataUserId,
      approvals: body.approvals,
    });
    const [appended] = await appendChunked(deps.ledger, [event]);
    if (appended!.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({ dataUserId, ...positionOf(appended!) });
  });
  r.get('/v1/data-users', requireRole('admin', 'auditor'), async (_req, res) => {
    await deps.freshness.awaitAll();
    res.json({ dataUsers: await deps.reader.dataUsers() });
  });
  r.get('/v1/data-users/:id', async (req, res) => {
    const { id } = parseOr400(IdPath, req.params);
    const caller = callerOf(req);
    const allowed =
      caller.role === 'admin' || caller.role === 'auditor' || (caller.role === 'dataUser' && caller.principal === id);
    if (!allowed)
      throw new DomainError('forbidden', 'admins, auditors and the data user itself may read a registration');
    const record = await deps.fresh.dataUser(id);
    if (!record)
      throw new DomainError('not-found', `data user ${id} is not registered`, [
        { field: '/id', message: 'unknown data user' },
      ]);
    res.json(record);
  });
  return r;
}
