// What the query routes need, injected by main.ts (tests build the same routers with their own deps).
import type { PolicySet } from '../../contracts/consent/policy.js';
import type { DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { Caller } from '../../access/credentials.js';
import { DomainError } from '../../contracts/domainError.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { LedgerFreshness } from './freshness.js';
import type { DecisionLog } from './decisionLog.js';
import type { FreshProjection } from './freshProjection.js';
import type { ProjectionSnapshots } from './projectionSnapshot.js';
import type { ReadLog } from './readLog.js';

export interface QueryDeps {
  reader: ProjectionReader;
  freshness: LedgerFreshness;
  /** Freshness-checked, cached reads (use these, not `reader`, for single subjects and data users). */
  fresh: FreshProjection;
  decisionLog: DecisionLog;
  /** Every policy version applied (a consent's dates come from its own recorded version). */
  policies: PolicySet;
  now: () => Date;
  /** Whole-projection snapshots for cohort filters (projectionSnapshot.ts). */
  snapshots: ProjectionSnapshots;
  /** Every read of a person's record (subjectAccess.ts writes, the person's view lists). */
  reads: ReadLog;
}

/**
 * Data users ask only as themselves: the credential's principal is the data user id; a different
 * dataUserId in the request is refused (403), and a principal the registry does not know is a 404.
 */
export function ownDataUserId(caller: Caller, requested: string | undefined): string {
  if (caller.role !== 'dataUser')
    throw new DomainError('forbidden', 'decisions are asked by data users, as themselves');
  if (requested !== undefined && requested !== caller.principal) {
    throw new DomainError('forbidden', 'a data user may ask only as itself', [
      { field: '/dataUserId', message: 'must be your own data user id (or left out)' },
    ]);
  }
  return caller.principal;
}

export function registeredDataUser(record: DataUserRecord | undefined, id: string): DataUserRecord {
  if (!record)
    throw new DomainError('not-found', `data user ${id} is not registered`, [
      { field: '/dataUserId', message: 'no registered data user with this id' },
    ]);
  return record;
}
