// What the query routes need, injected by main.ts (tests build the same routers with their own deps).
import type { Policy } from '../../contracts/consent/policy.js';
import type { DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { Caller } from '../../access/credentials.js';
import { DomainError } from '../../adapters/http/problems.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { LedgerFreshness } from './freshness.js';
import type { DecisionLog } from './decisionLog.js';

export interface QueryDeps {
  reader: ProjectionReader;
  freshness: LedgerFreshness;
  decisionLog: DecisionLog;
  policy: Policy;
  now: () => Date;
}

/**
 * Data users ask only as themselves: the credential's principal is the data user id; a different
 * dataUserId in the request is refused (403), and a principal the registry does not know is a 404.
 * Call after the freshness wait, so a registration acknowledged before the request is seen.
 */
export function ownDataUserId(caller: Caller, requested: string | undefined): string {
  if (caller.role !== 'dataUser') throw new DomainError('forbidden', 'decisions are asked by data users, as themselves');
  if (requested !== undefined && requested !== caller.principal) {
    throw new DomainError('forbidden', 'a data user may ask only as itself', [{ field: '/dataUserId', message: 'must be your own data user id (or left out)' }]);
  }
  return caller.principal;
}

export async function registeredDataUser(reader: ProjectionReader, id: string): Promise<DataUserRecord> {
  const record = await reader.dataUser(id);
  if (!record) throw new DomainError('not-found', `data user ${id} is not registered`, [{ field: '/dataUserId', message: 'no registered data user with this id' }]);
  return record;
}
