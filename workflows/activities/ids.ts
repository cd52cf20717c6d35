// Deterministic ids for what the workflows write: derived from the ledger event they follow, so a
// retried activity or a replayed workflow can never produce a second logical event or notice.
// Event ids are at most 128 characters; a derived id that would be longer is shortened to a hash of
// the full id (still deterministic, still unique in practice).
import { createHash } from 'node:crypto';
import { EVENT_ID_PATTERN } from '../../contracts/consent/primitives.js';
import { RELEASE_NOTICE_PREFIX } from '../types.js';

function bounded(prefix: string, full: string): string {
  if (full.length <= 128 && EVENT_ID_PATTERN.test(full)) return full;
  return `${prefix}.h.${createHash('sha256').update(full).digest('base64url').slice(0, 43)}`;
}

/** `wf.<consentId|withdrawalId>.<step>[.<dataUserId>]` */
export function systemEventId(subjectEventId: string, step: string, dataUserId?: string): string {
  return bounded('wf', ['wf', subjectEventId, step, ...(dataUserId ? [dataUserId] : [])].join('.'));
}

/** One notice per (withdrawal, data user): `ntc.<withdrawalId>.<dataUserId>`. */
export function noticeIdFor(withdrawalId: string, dataUserId: string): string {
  return bounded('ntc', `ntc.${withdrawalId}.${dataUserId}`);
}

/** One notice per release recorded after a refusal: `ntr.<releaseEventId>.<dataUserId>`. The prefix
 *  survives the hashing of a long id, so the acknowledgement finds its workflow (workflows/types.ts). */
export function releaseNoticeIdFor(releaseEventId: string, dataUserId: string): string {
  return bounded(RELEASE_NOTICE_PREFIX, `${RELEASE_NOTICE_PREFIX}.${releaseEventId}.${dataUserId}`);
}
