// Hospital-facing HTTP routes: validate → core → respond. Errors are DomainErrors mapped to problem JSON.
import express, { Router } from 'express';
import { acceptEvents, type IngestDeps } from './accept.js';
import { consentReceipt } from './consentReceipt.js';
import { DomainError } from '../../contracts/domainError.js';
import { callerOf } from '../../access/authenticate.js';
import { EVENT_ID_PATTERN } from '../../contracts/consent/primitives.js';
import type { ReceiptStore } from '../../ledger/receipts.js';

export const MAX_BATCH = 1000;
export const SINGLE_BODY_LIMIT = '64kb';
export const BATCH_BODY_LIMIT = '8mb';
const WITHDRAW_HOW =
  'Ask the organisation that recorded this consent, or any NHS organisation, to record a withdrawal; it takes effect ' +
  'at once and is carried to every data user holding your data.';

export function ingestRoutes(deps: IngestDeps & { receipts: ReceiptStore }): Router {
  const r = Router();
  r.post('/v1/events', express.json({ limit: SINGLE_BODY_LIMIT, strict: false }), async (req, res) => {
    if (Array.isArray(req.body))
      throw new DomainError('invalid-request', 'send one event here; use /v1/events:batch for several', [
        { field: '', message: 'must be a JSON object, not an array' },
      ]);
    const { receipts, replayed } = await acceptEvents([req.body], false, callerOf(req), deps);
    if (replayed[0]) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json(receipts[0]);
  });
  r.post('/v1/events\\:batch', express.json({ limit: BATCH_BODY_LIMIT, strict: false }), async (req, res) => {
    const events: unknown = (req.body as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(events) || events.length === 0)
      throw new DomainError('invalid-request', 'send {"events": [ … ]}', [
        { field: '/events', message: `must be a non-empty array of at most ${MAX_BATCH} events` },
      ]);
    if (events.length > MAX_BATCH)
      throw new DomainError('payload-too-large', `at most ${MAX_BATCH} events per batch`, [
        { field: '/events', message: `has ${events.length} items; the maximum is ${MAX_BATCH}` },
      ]);
    const { receipts, replayed } = await acceptEvents(events, true, callerOf(req), deps).catch((err: unknown) => {
      // Batch problems point into /events/<i>/…
      if (err instanceof DomainError)
        throw new DomainError(
          err.code,
          err.message,
          err.problems.map((p) => ({ ...p, field: `/events${p.field}` })),
          err.extra,
        );
      throw err;
    });
    if (replayed.every(Boolean)) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).json({ receipts, replayed: replayed.filter(Boolean).length });
  });
  r.get('/v1/receipts/:eventId', async (req, res) => {
    const caller = callerOf(req);
    const { eventId } = req.params;
    if (!EVENT_ID_PATTERN.test(eventId))
      throw new DomainError('invalid-request', 'malformed event id', [
        { field: '/eventId', message: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' },
      ]);
    const stored = await deps.receipts.get(eventId);
    // Only the organisation that recorded the event (or an auditor) may see it; others learn nothing, not even that it exists.
    if (!stored || !(stored.event.source === caller.principal || caller.role === 'auditor'))
      throw new DomainError('not-found', 'no such receipt for this caller');
    res.json(consentReceipt(stored.event, stored.position, WITHDRAW_HOW));
  });
  return r;
}
