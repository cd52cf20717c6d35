// A subject's consent state (now or as of a past instant), its timeline and its FHIR R4 export.
// Readers: hospitals (subjects they recorded; subjectAccess.ts), admins and auditors. Data users do not read
// subjects' states: they ask for decisions, which answer only what they may do.
import { Router } from 'express';
import { stateAsOf } from '../../contracts/consent/fold.js';
import { requireRole } from '../../access/authenticate.js';
import { DomainError } from '../../contracts/domainError.js';
import { AsOfQuery, parseOr400 } from './schemas.js';
import { SUBJECT_READERS, readableSubject } from './subjectAccess.js';
import { fhirBundle } from './fhir.js';
import { subjectConsent, subjectTimeline } from '../../contracts/subjectViews.js';
import type { QueryDeps } from './deps.js';

export function consentRoutes(deps: QueryDeps): Router {
  const r = Router();
  r.use('/v1/subjects', requireRole(...SUBJECT_READERS));
  r.get('/v1/subjects/:id/consent', async (req, res) => {
    const { asOf } = parseOr400(AsOfQuery, req.query);
    const now = deps.now().toISOString();
    if (asOf !== undefined && Date.parse(asOf) > Date.parse(now)) {
      throw new DomainError('invalid-request', 'asOf must not be in the future', [
        { field: '/asOf', message: 'must be a past instant' },
      ]);
    }
    const full = await readableSubject(req, deps, 'consent');
    // Point in time: the same fold over the events recorded (envelope recordedtime) up to asOf.
    const state = asOf === undefined ? full : stateAsOf(full.records, asOf);
    res.json(subjectConsent(full.subject ?? '', state, asOf ?? now));
  });
  r.get('/v1/subjects/:id/timeline', async (req, res) => {
    const state = await readableSubject(req, deps, 'timeline');
    res.json(subjectTimeline(state));
  });
  r.get('/v1/subjects/:id/fhir', async (req, res) => {
    const state = await readableSubject(req, deps, 'fhir');
    res.type('application/fhir+json').send(JSON.stringify(fhirBundle(state, deps.now().toISOString())));
  });
  return r;
}
