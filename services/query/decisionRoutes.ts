// POST /v1/decisions (one subject) and POST /v1/decisions:filter (a cohort, streamed; cohortFilter.ts).
// Callers: data users, as themselves. Every answer is on the decision log before it is returned.
import express, { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { decide } from '../../contracts/consent/decide.js';
import { EMPTY_STATE, stateAsOf } from '../../contracts/consent/fold.js';
import { compareUtc } from '../../contracts/consent/primitives.js';
import { DomainError } from '../../contracts/domainError.js';
import { callerOf } from '../../access/authenticate.js';
import { DecisionRequest, FilterQuery, parseOr400 } from './schemas.js';
import { ownDataUserId, registeredDataUser, type QueryDeps } from './deps.js';
import { filterCohort } from './cohortFilter.js';
import { queryMetrics } from './metrics.js';

export function decisionRoutes(deps: QueryDeps): Router {
  const r = Router();
  r.post('/v1/decisions', express.json({ limit: '8kb' }), async (req, res) => {
    const body = parseOr400(DecisionRequest, req.body);
    const dataUserId = ownDataUserId(callerOf(req), body.dataUserId);
    const at = deps.now().toISOString();
    if (body.asOf !== undefined && compareUtc(body.asOf, at) > 0) {
      throw new DomainError('invalid-request', 'asOf must not be in the future', [
        { field: '/asOf', message: 'must be a past instant' },
      ]);
    }
    const [stored, record] = await deps.fresh.subjectAndDataUser(body.subject, dataUserId);
    const dataUser = registeredDataUser(record, dataUserId);
    // As of T: the same fold over what was recorded up to T, and the clock (expiry) at T.
    const state = !stored ? EMPTY_STATE : body.asOf === undefined ? stored : stateAsOf(stored.records, body.asOf);
    const when = body.asOf ?? at;
    const d = decide(
      state,
      { subject: body.subject, purpose: body.purpose, dataCategory: body.dataCategory, dataUser },
      deps.policies,
      when,
    );
    const decisionId = randomUUID();
    await deps.decisionLog.record({
      kind: 'decision',
      decisionId,
      at,
      dataUserId,
      subject: body.subject,
      purpose: body.purpose,
      dataCategory: body.dataCategory,
      decision: d.decision,
      reasons: d.reasons.map((x) => x.code),
      eventIds: d.eventIds,
      policyVersion: d.policyVersion,
      ...(body.asOf !== undefined && { asOf: body.asOf }),
    });
    queryMetrics.decisions.inc({ decision: d.decision });
    res.json({
      decisionId,
      ...d,
      subject: body.subject,
      purpose: body.purpose,
      dataCategory: body.dataCategory,
      dataUserId,
      decidedAt: at,
      ...(body.asOf !== undefined && { asOf: body.asOf }),
    });
  });
  // Body: a JSON array of subject ids, read as a stream; answer: NDJSON, one line per subject, then a trailer.
  r.post('/v1/decisions\\:filter', async (req, res) => {
    const query = parseOr400(FilterQuery, req.query);
    const dataUserId = ownDataUserId(callerOf(req), query.dataUserId);
    await filterCohort(req, res, { ...query, dataUserId }, deps);
  });
  return r;
}
