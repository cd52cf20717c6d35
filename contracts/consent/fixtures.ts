// Compact builders of valid ledger events for tests (here and in other services), so a case reads
// like the spec: `given('c1', 1, { scope: scope({ purposes: ['research'] }) }), effective('c1', 15)`.
// Times are day numbers from T0 (day(14) = 2026-01-15T00:00:00Z) or UTC timestamps. An event is
// recorded when it occurred unless `recordedAt` says otherwise (a late paper form).
// Synthetic ids only.
import type { Attestation } from './attestation.js';
import type { DataUserContext } from './decide.js';
import {
  CURRENT_VERSION,
  dataSchemaId,
  isIncomingEventType,
  type EventOf,
  type EventType,
  type LedgerEvent,
} from './events.js';
import { BY_THE_PERSON, type ExpressedBy } from './expressedBy.js';
import { EXAMPLE_SUBJECT } from './examples.js';
import type { PositionedEvent } from './order.js';
import { addDays } from './policy.js';
import {
  PURPOSES,
  type CaptureChannel,
  type CaptureSetting,
  type DataCategory,
  type DataUserCategory,
  type Jurisdiction,
  type Purpose,
  type Scope,
} from './vocabulary.js';

const T0 = '2026-01-01T00:00:00Z';
export const SUBJECT = EXAMPLE_SUBJECT;
export type Time = number | string;

/** T0 + n days (fractions allowed: day(1.5) is noon on 2 January). */
export const day = (n: number): string => addDays(T0, n);
const ts = (t: Time): string => (typeof t === 'number' ? day(t) : t);

/** A scope, `*` in every dimension not given. */
export function scope(s: Partial<Scope> = {}): Scope {
  return { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*', ...s };
}

interface Common {
  recordedAt?: Time;
  subject?: string;
  /** Who expressed a hospital-recorded choice (default: the person). */
  by?: ExpressedBy;
}

function event<T extends EventType>(type: T, id: string, at: Time, data: object, o: Common = {}): EventOf<T> {
  const system = !isIncomingEventType(type);
  return {
    specversion: '1.0',
    id,
    source: system ? 'sys:worker' : 'org:rxh',
    type,
    subject: o.subject ?? SUBJECT,
    time: ts(at),
    recordedtime: ts(o.recordedAt ?? at),
    datacontenttype: 'application/json',
    dataschema: dataSchemaId(type, CURRENT_VERSION[type]),
    dataversion: CURRENT_VERSION[type],
    data: { occurredAt: ts(at), ...data, ...(!system && { expressedBy: o.by ?? BY_THE_PERSON }) },
  } as unknown as EventOf<T>;
}

export function given(
  id: string,
  at: Time,
  o: Common & {
    scope?: Scope;
    setting?: CaptureSetting;
    channel?: CaptureChannel;
    validUntil?: Time;
    policyVersion?: string;
  } = {},
) {
  return event(
    'consent.given',
    id,
    at,
    {
      scope: o.scope ?? scope(),
      capture: { channel: o.channel ?? 'in-person', setting: o.setting ?? 'routine' },
      policyVersion: o.policyVersion ?? '2026-01',
      ...(o.validUntil !== undefined && { validUntil: ts(o.validUntil) }),
    },
    o,
  );
}
export const effective = (consentId: string, at: Time, o: Common & { id?: string } = {}) =>
  event('consent.effective', o.id ?? `${consentId}.effective`, at, { consentId, policyVersion: '2026-01' }, o);
export const reconfirmed = (consentId: string, at: Time, o: Common & { id?: string } = {}) =>
  event(
    'consent.reconfirmed',
    o.id ?? `${consentId}.reconfirmed`,
    at,
    { consentId, capture: { channel: 'app', setting: 'remote' } },
    o,
  );
export const cancelled = (consentId: string, at: Time, o: Common & { id?: string } = {}) =>
  event('consent.cancelled', o.id ?? `${consentId}.cancelled`, at, { consentId }, o);
export const lapsed = (consentId: string, at: Time, o: Common & { id?: string } = {}) =>
  event('consent.lapsed', o.id ?? `${consentId}.lapsed`, at, { consentId, policyVersion: '2026-01' }, o);
export const expired = (consentId: string, at: Time, o: Common & { id?: string } = {}) =>
  event('consent.expired', o.id ?? `${consentId}.expired`, at, { consentId, validUntil: ts(at) }, o);
export const withdrawn = (id: string, at: Time, o: Common & { scope?: Scope; consentId?: string } = {}) =>
  event(
    'consent.withdrawn',
    id,
    at,
    { scope: o.scope ?? scope(), ...(o.consentId !== undefined && { consentId: o.consentId }) },
    o,
  );
export const optOut = (id: string, at: Time, o: Common & { scope?: Scope; national?: boolean } = {}) =>
  event('optout.registered', id, at, { scope: o.scope ?? scope(), national: o.national ?? false }, o);
export const optOutRevoked = (optOutId: string, at: Time, o: Common & { id?: string } = {}) =>
  event('optout.revoked', o.id ?? `${optOutId}.revoked`, at, { optOutId }, o);
export const revocationSent = (withdrawalId: string, dataUserId: string, at: Time, o: Common = {}) =>
  event(
    'revocation.sent',
    `${withdrawalId}.sent.${dataUserId}`,
    at,
    {
      withdrawalId,
      dataUserId,
      noticeId: `ntc.${withdrawalId}.${dataUserId}`,
      dueBy: addDays(ts(at), 30),
      policyVersion: '2026-01',
    },
    o,
  );
export const revocationAcknowledged = (
  withdrawalId: string,
  dataUserId: string,
  at: Time,
  o: Common & { attestation?: Attestation | null } = {},
) =>
  event(
    'revocation.acknowledged',
    `${withdrawalId}.ack.${dataUserId}`,
    at,
    { withdrawalId, dataUserId, noticeId: `ntc.${withdrawalId}.${dataUserId}`, attestation: o.attestation ?? null },
    o,
  );

/** A parent acting for a child until `endsAt` (the child's 16th birthday). */
export const parent = (endsAt: Time, authorityReference = 'PR-2026-0001'): ExpressedBy => ({
  role: 'parent',
  authorityReference,
  authorityEndsAt: ts(endsAt),
});
export const revocationOverdue = (withdrawalId: string, dataUserId: string, at: Time, o: Common = {}) =>
  event(
    'revocation.overdue',
    `${withdrawalId}.overdue.${dataUserId}`,
    at,
    {
      withdrawalId,
      dataUserId,
      noticeId: `ntc.${withdrawalId}.${dataUserId}`,
      dueBy: ts(at),
    },
    o,
  );
export const withdrawalCompleted = (withdrawalId: string, dataUserIds: string[], at: Time, o: Common = {}) =>
  event('withdrawal.completed', `${withdrawalId}.completed`, at, { withdrawalId, dataUserIds }, o);

export const released = (
  releaseId: string,
  dataUserId: string,
  at: Time,
  o: Common & { purpose?: Purpose; dataCategories?: DataCategory[] } = {},
) =>
  event(
    'release.recorded',
    `${releaseId}.${dataUserId}`,
    at,
    {
      releaseId,
      dataUserId,
      purpose: o.purpose ?? 'research',
      dataCategories: o.dataCategories ?? ['ehr'],
    },
    o,
  );

/** Records in the order listed (= ledger order): offsets 0, 1, 2 … on partition 0. */
export function ledger(...events: LedgerEvent[]): PositionedEvent[] {
  return events.map((event, i) => ({ event, position: { partition: 0, offset: String(i) } }));
}

/** A registered data user, approved for `purposes` until `expiresAt` (default: all, until 2030). */
export function dataUser(
  id: string,
  category: DataUserCategory,
  jurisdiction: Jurisdiction,
  purposes: readonly Purpose[] = PURPOSES,
  expiresAt: Time = '2030-01-01T00:00:00Z',
): DataUserContext {
  return {
    id,
    category,
    jurisdiction,
    approvals: purposes.map((purpose) => ({ purpose, reference: `REF ${id} ${purpose}`, expiresAt: ts(expiresAt) })),
  };
}
