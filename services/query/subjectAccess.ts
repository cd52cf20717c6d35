// Who may read a person's record (README "Who may read a person's record"): auditors and admins any
// subject; a hospital a subject it has itself recorded events for (the fold's recordedBy), or one it
// looks up by NHS number (lookupRoutes.ts). Any other subject is a 404 for that hospital — the same
// answer as a subject with no events, so a pseudonym reveals nothing. Every read is logged first.
import type { Request } from 'express';
import * as z from 'zod';
import { callerOf } from '../../access/authenticate.js';
import type { Caller } from '../../access/credentials.js';
import { recordedBy, type SubjectState } from '../../contracts/consent/fold.js';
import { DomainError } from '../../contracts/domainError.js';
import { READ_REASONS, type ReadReason, type ReadWhat } from '../../contracts/transparency.js';
import { SubjectPath, parseOr400 } from './schemas.js';
import type { QueryDeps } from './deps.js';

export const SUBJECT_READERS = ['hospital', 'admin', 'auditor'] as const;
export const ReadReasonSchema = z
  .enum(READ_REASONS)
  .default('not-given')
  .meta({ description: 'Why the record is read (logged and shown to the person); default not-given' });

const NOT_FOUND = () =>
  new DomainError('not-found', 'the ledger holds no events for this subject that you may read', [
    { field: '/id', message: 'unknown subject' },
  ]);

export function readReason(req: Request): ReadReason {
  return parseOr400(z.object({ 'x-read-reason': ReadReasonSchema }), req.headers, ['headers'])['x-read-reason'];
}

export function mayReadByPseudonym(caller: Caller, state: SubjectState): boolean {
  return caller.role !== 'hospital' || recordedBy(state).includes(caller.principal);
}

export async function logRead(deps: QueryDeps, subject: string, caller: Caller, what: ReadWhat, why: ReadReason) {
  await deps.reads.record(subject, {
    at: deps.now().toISOString(),
    reader: caller.principal,
    role: caller.role,
    what,
    why,
  });
}

/** The subject's fresh state, if this caller may read it by pseudonym; the read is logged first. */
export async function readableSubject(req: Request, deps: QueryDeps, what: ReadWhat): Promise<SubjectState> {
  const caller = callerOf(req);
  const { id } = parseOr400(SubjectPath, req.params);
  const why = readReason(req);
  const state = await deps.fresh.subject(id);
  if (!state || !mayReadByPseudonym(caller, state)) throw NOT_FOUND();
  await logRead(deps, id, caller, what, why);
  return state;
}
