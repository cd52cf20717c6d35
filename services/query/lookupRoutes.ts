// POST /v1/subjects:lookup — a hospital shows it knows the person: the NHS number in the body (never in
// a URL, so never in an access log), pseudonymised at once with the ingest's key; the answer is the
// pseudonym and the consent summary. Admins and auditors may look up too. The read is logged.
import express, { Router } from 'express';
import * as z from 'zod';
import { callerOf, requireRole } from '../../access/authenticate.js';
import { NhsNumberSchema } from '../../contracts/consent/primitives.js';
import { DomainError } from '../../contracts/domainError.js';
import { subjectConsent, SubjectConsent } from '../../contracts/subjectViews.js';
import type { Pseudonymise } from '../../contracts/consent/pseudonym.js';
import { parseOr400 } from './schemas.js';
import { ReadReasonSchema, SUBJECT_READERS, logRead } from './subjectAccess.js';
import type { QueryDeps } from './deps.js';

export const LookupRequest = z
  .strictObject({ nhsNumber: NhsNumberSchema, reason: ReadReasonSchema })
  .meta({ id: 'SubjectLookupRequest' });
export const LookupResponse = z
  .object({ subject: z.string().meta({ description: 'The pseudonymous subject id' }), consent: SubjectConsent })
  .meta({ id: 'SubjectLookup' });

export function lookupRoutes(deps: QueryDeps & { pseudonymise: Pseudonymise }): Router {
  const r = Router();
  r.post('/v1/subjects\\:lookup', requireRole(...SUBJECT_READERS), express.json({ limit: '4kb' }), async (req, res) => {
    const body = parseOr400(LookupRequest, req.body);
    const subject = deps.pseudonymise(body.nhsNumber);
    const state = await deps.fresh.subject(subject);
    if (!state)
      throw new DomainError('not-found', 'the ledger holds no events for this person', [
        { field: '/nhsNumber', message: 'no events recorded for this person' },
      ]);
    await logRead(deps, subject, callerOf(req), 'lookup', body.reason);
    res.json({ subject, consent: subjectConsent(subject, state, deps.now().toISOString()) });
  });
  return r;
}
