// How one subject's events fold into the state decisions are taken from. Pure: no I/O, no clock.
// The projector, the decision API, point-in-time queries, workflows and the auditor's replay all
// call these functions, so they cannot disagree.
//
// Design: the state keeps the subject's logical ledger (one record per event id) sorted in fold
// order, and the facts are re-derived from it on every change. Subjects have a handful of events,
// so re-deriving is cheap, and it makes late arrival trivially correct: a paper withdrawal recorded
// weeks late is inserted where it occurred and everything after it is recomputed, nothing patched.
//
// Facts are the events that carry a scope — consent.given, consent.withdrawn, optout.registered —
// positioned at their own occurredAt. The other subject events only change a fact's status:
//   consent.effective / reconfirmed / cancelled / lapsed / expired → the consent named by consentId
//   optout.revoked → the opt-out named by optOutId
//   revocation.sent / acknowledged / overdue, withdrawal.completed → the withdrawal's propagation
//     record (kept for the timeline and audit; decisions ignore it). Their withdrawalId may name a
//     national opt-out instead (a notice for a release after it): resolved, not recorded.
// A status event applies to its target whatever their relative order (a skewed clock cannot detach
// it); one whose target is not in the state is listed in `unresolved` and otherwise ignored.
// release.recorded → a release of the subject's data to a data user (who holds it, and whether it
//   broke a refusal: holders.ts; decisions ignore releases).
// dataUser.* events belong to a data user, not a subject: evolve ignores them.
import type { Attestation } from './attestation.js';
import type { EventOf, LedgerEvent } from './events.js';
import type { ExpressedBy } from './expressedBy.js';
import { compareRecords, comparePosition, type EventPosition, type PositionedEvent } from './order.js';
import { requiresReconfirmation } from './lifecycle.js';
import { compareUtc } from './primitives.js';
import { intersects } from './scope.js';
import type { Capture, DataCategory, Purpose, Scope } from './vocabulary.js';

export type SubjectEvent = Exclude<LedgerEvent, EventOf<'dataUser.registered' | 'dataUser.approved'>>;
export type SubjectRecord = PositionedEvent<SubjectEvent>;
type FactEvent = EventOf<'consent.given' | 'consent.withdrawn' | 'optout.registered'>;
type ReleaseEvent = EventOf<'release.recorded'>;
type StatusEvent = Exclude<SubjectEvent, FactEvent | ReleaseEvent>;

/** A reference to the ledger event that established something. */
export interface EventRef {
  readonly eventId: string;
  readonly occurredAt: string;
}

interface FactBase {
  /** Id of the event that created the fact (consent.given / consent.withdrawn / optout.registered). */
  readonly eventId: string;
  readonly occurredAt: string;
  /** Envelope `time`: when the ledger recorded it. */
  readonly recordedAt: string;
  readonly position: EventPosition;
  readonly scope: Scope;
  /** Set when someone acting for the person expressed it (absent: the person themselves, as every
   *  version-1 event was — so projections folded before proxies were recorded read the same). */
  readonly expressedBy?: ExpressedBy;
}

/**
 * Event-derived status (the clock and the policy are applied by decide, through lifecycle.ts):
 * - cooling-off: routine capture, waiting for consent.effective at the end of its cooling-off;
 * - awaiting-reconfirmation: acute/emergency capture not yet effective — it takes effect only through
 *   a reconfirmation made after its cooling-off (whether one recorded counts is the policy's question:
 *   lifecycle countedReconfirmation);
 * - effective: consent.effective recorded (the only way a consent becomes effective);
 * - cancelled / lapsed / expired: terminal, by the event of that name. Terminal wins over
 *   effective whatever the order: a cancellation recorded late undoes an effective written by a
 *   workflow that had not seen it (fail closed). If several, the first in fold order names it.
 * Withdrawals are facts of their own with their own scope; `withdrawnBy` lists the later ones whose
 * scope overlaps this consent's (for timelines and FHIR export; decide goes by scope, not by this).
 */
export type ConsentStatus =
  'cooling-off' | 'awaiting-reconfirmation' | 'effective' | 'cancelled' | 'lapsed' | 'expired';
export type EndedStatus = Extract<ConsentStatus, 'cancelled' | 'lapsed' | 'expired'>;
/** What the lifecycle workflow writes when it ends a consent's wait (consent.<outcome>). */
export type ConsentOutcome = Exclude<ConsentStatus, 'cooling-off' | 'awaiting-reconfirmation'>;

/** A consent.reconfirmed, with its ledger position: the workflow counts them in ledger order. */
export interface ReconfirmationRef extends EventRef {
  readonly position: EventPosition;
  /** Set when a proxy reconfirmed (absent: the person). */
  readonly expressedBy?: ExpressedBy;
}

export interface ConsentFact extends FactBase {
  readonly kind: 'consent';
  readonly capture: Capture;
  readonly policyVersion: string;
  readonly validUntil?: string;
  /** Captured in an acute or emergency setting (the extended rule). */
  readonly requiresReconfirmation: boolean;
  readonly status: ConsentStatus;
  /** Every consent.reconfirmed recorded for it, in ledger order (counted or not). */
  readonly reconfirmations: readonly ReconfirmationRef[];
  readonly effective?: EventRef;
  readonly ended?: EventRef & { readonly status: EndedStatus };
  readonly withdrawnBy: readonly string[];
}

export interface Propagation {
  /** Data users sent a revocation notice, in fold order. */
  readonly notified: readonly string[];
  /** Data user → when its notice must be acknowledged (revocation.sent's dueBy). */
  readonly dueBy: Readonly<Record<string, string>>;
  readonly acknowledged: readonly string[];
  /** Data user → what it attested when acknowledging (absent: acknowledged without attestation, or
   *  not yet; optional so that projections folded before attestations were recorded read the same). */
  readonly attestations?: Readonly<Record<string, Attestation>>;
  /** Data users that were overdue at some point (they may have acknowledged since). */
  readonly overdue: readonly string[];
  readonly completed?: EventRef;
}

export interface WithdrawalFact extends FactBase {
  readonly kind: 'withdrawal';
  /** The consent the person named when withdrawing (informative; the scope decides). */
  readonly consentId?: string;
  readonly propagation: Propagation;
}

export interface OptOutFact extends FactBase {
  readonly kind: 'opt-out';
  readonly national: boolean;
  readonly revoked?: EventRef;
}

export type Fact = ConsentFact | WithdrawalFact | OptOutFact;

/** The subject's data went to a data user (release.recorded). */
export interface Release {
  readonly eventId: string;
  readonly releaseId: string;
  readonly dataUserId: string;
  readonly purpose: Purpose;
  readonly dataCategories: readonly DataCategory[];
  readonly occurredAt: string;
}

/** Plain data (JSON-safe), so a projection can store it and read it back. */
export interface SubjectState {
  /** Set by the first event; undefined while empty. */
  readonly subject?: string;
  /** The subject's logical ledger — exactly the applied events, one per id — in fold order. */
  readonly records: readonly SubjectRecord[];
  /** Derived from `records`, in fold order. */
  readonly facts: readonly Fact[];
  /** Ids of status events whose target is not (yet) in `records`. */
  readonly unresolved: readonly string[];
  /** Releases of the subject's data, in fold order. */
  readonly releases: readonly Release[];
}

export const EMPTY_STATE: SubjectState = Object.freeze({ records: [], facts: [], unresolved: [], releases: [] });

export class FoldError extends Error {
  override readonly name = 'FoldError';
  constructor(
    readonly code: 'subject-mismatch',
    message: string,
  ) {
    super(message);
  }
}

export function isSubjectEvent(event: LedgerEvent): event is SubjectEvent {
  return event.type !== 'dataUser.registered' && event.type !== 'dataUser.approved';
}

/** Whether an event id is already part of the state (the logical ledger holds each event once). */
export function hasApplied(state: SubjectState, eventId: string): boolean {
  return state.records.some((r) => r.event.id === eventId);
}

/**
 * Apply one event at its ledger position.
 * - An event id already applied is a no-op (same state object returned) — unless this copy sits
 *   EARLIER on the ledger, in which case it replaces the other: the first physical copy is the
 *   logical event, so the result does not depend on which duplicate arrived first.
 * - dataUser.* events return the state unchanged.
 * - An event of another subject throws FoldError: it is a bug in the caller, and folding it would
 *   corrupt the state.
 */
export function evolve(state: SubjectState, event: LedgerEvent, position: EventPosition): SubjectState {
  if (!isSubjectEvent(event)) return state;
  if (state.subject !== undefined && state.subject !== event.subject) {
    throw new FoldError('subject-mismatch', `event ${event.id} belongs to another subject than this state`);
  }
  const at = state.records.findIndex((r) => r.event.id === event.id);
  if (at >= 0 && comparePosition(position, state.records[at]!.position) >= 0) return state;
  const records = at >= 0 ? state.records.filter((_, i) => i !== at) : [...state.records];
  const record: SubjectRecord = { event, position };
  let i = records.length;
  while (i > 0 && compareRecords(records[i - 1]!, record) > 0) i--; // late arrivals are rare: scan from the end
  records.splice(i, 0, record);
  return derive(event.subject, records);
}

/** Fold records (in any order) from `initial`. */
export function foldEvents(records: Iterable<PositionedEvent>, initial: SubjectState = EMPTY_STATE): SubjectState {
  let state = initial;
  for (const r of records) state = evolve(state, r.event, r.position);
  return state;
}

/** Point in time: the state from the events the ledger had RECORDED (envelope `recordedtime`) up to and
 *  including `recordedUpTo` — what the system knew then. */
export function stateAsOf(records: Iterable<PositionedEvent>, recordedUpTo: string): SubjectState {
  const known: PositionedEvent[] = [];
  for (const r of records) if (compareUtc(r.event.recordedtime, recordedUpTo) <= 0) known.push(r);
  return foldEvents(known);
}

// --- derivation -------------------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ConsentDraft = Mutable<Omit<ConsentFact, 'status' | 'withdrawnBy' | 'reconfirmations'>> & {
  withdrawnBy: string[];
  reconfirmations: ReconfirmationRef[];
};
type WithdrawalDraft = Mutable<Omit<WithdrawalFact, 'propagation'>> & {
  propagation: {
    notified: string[];
    dueBy: Record<string, string>;
    acknowledged: string[];
    attestations: Record<string, Attestation>;
    overdue: string[];
    completed?: EventRef;
  };
};
type OptOutDraft = Mutable<OptOutFact>;
type Draft = ConsentDraft | WithdrawalDraft | OptOutDraft;

const ref = (e: SubjectEvent): EventRef => ({ eventId: e.id, occurredAt: e.data.occurredAt });
/** The proxy who expressed it, kept only when it is not the person. */
const byProxy = (by: ExpressedBy): { expressedBy?: ExpressedBy } => (by.role === 'person' ? {} : { expressedBy: by });
const addOnce = (list: string[], value: string) => {
  if (!list.includes(value)) list.push(value);
};

function createFact(r: PositionedEvent<FactEvent>): Draft {
  const e = r.event;
  const base = {
    eventId: e.id,
    occurredAt: e.data.occurredAt,
    recordedAt: e.recordedtime,
    position: r.position,
    scope: e.data.scope,
    ...byProxy(e.data.expressedBy),
  };
  switch (e.type) {
    case 'consent.given':
      return {
        ...base,
        kind: 'consent',
        capture: e.data.capture,
        policyVersion: e.data.policyVersion,
        ...(e.data.validUntil !== undefined && { validUntil: e.data.validUntil }),
        requiresReconfirmation: requiresReconfirmation(e.data.capture.setting),
        withdrawnBy: [],
        reconfirmations: [],
      };
    case 'consent.withdrawn':
      return {
        ...base,
        kind: 'withdrawal',
        ...(e.data.consentId !== undefined && { consentId: e.data.consentId }),
        propagation: { notified: [], dueBy: {}, acknowledged: [], attestations: {}, overdue: [] },
      };
    case 'optout.registered':
      return { ...base, kind: 'opt-out', national: e.data.national };
    default: {
      const _never: never = e;
      return _never;
    }
  }
}

function isFactRecord(r: SubjectRecord): r is PositionedEvent<FactEvent> {
  const t = r.event.type;
  return t === 'consent.given' || t === 'consent.withdrawn' || t === 'optout.registered';
}

function applyStatus(r: PositionedEvent<StatusEvent>, byId: ReadonlyMap<string, Draft>): boolean {
  const e = r.event;
  const target = <K extends Draft['kind']>(id: string, kind: K) => {
    const d = byId.get(id);
    return d?.kind === kind ? (d as Extract<Draft, { kind: K }>) : undefined;
  };
  switch (e.type) {
    case 'consent.effective':
    case 'consent.reconfirmed':
    case 'consent.cancelled':
    case 'consent.lapsed':
    case 'consent.expired': {
      const c = target(e.data.consentId, 'consent');
      if (!c) return false;
      if (e.type === 'consent.effective') c.effective ??= ref(e);
      else if (e.type === 'consent.reconfirmed')
        c.reconfirmations.push({ ...ref(e), position: r.position, ...byProxy(e.data.expressedBy) });
      else
        c.ended ??= {
          ...ref(e),
          status: e.type === 'consent.cancelled' ? 'cancelled' : e.type === 'consent.lapsed' ? 'lapsed' : 'expired',
        };
      return true;
    }
    case 'optout.revoked': {
      const o = target(e.data.optOutId, 'opt-out');
      if (o) o.revoked ??= ref(e);
      return o !== undefined;
    }
    case 'revocation.sent':
    case 'revocation.acknowledged':
    case 'revocation.overdue':
    case 'withdrawal.completed': {
      const w = target(e.data.withdrawalId, 'withdrawal');
      // A release recorded after a national opt-out gets a notice naming the opt-out (holders.ts):
      // resolved, though an opt-out keeps no propagation record of its own.
      if (!w) return target(e.data.withdrawalId, 'opt-out') !== undefined;
      const p = w.propagation;
      if (e.type === 'revocation.sent') {
        addOnce(p.notified, e.data.dataUserId);
        p.dueBy[e.data.dataUserId] ??= e.data.dueBy;
      } else if (e.type === 'revocation.acknowledged') {
        // The first acknowledgement of a data user is the one recorded (the workflow writes one per notice).
        if (!p.acknowledged.includes(e.data.dataUserId) && e.data.attestation !== null)
          p.attestations[e.data.dataUserId] = e.data.attestation;
        addOnce(p.acknowledged, e.data.dataUserId);
      } else if (e.type === 'revocation.overdue') addOnce(p.overdue, e.data.dataUserId);
      else p.completed ??= ref(e);
      return true;
    }
    default: {
      const _never: never = e;
      return _never;
    }
  }
}

function consentStatus(c: ConsentDraft): ConsentStatus {
  if (c.ended) return c.ended.status;
  if (c.effective) return 'effective';
  return c.requiresReconfirmation ? 'awaiting-reconfirmation' : 'cooling-off';
}

function derive(subject: string, records: readonly SubjectRecord[]): SubjectState {
  const drafts: Draft[] = [];
  const byId = new Map<string, Draft>();
  for (const r of records) {
    if (!isFactRecord(r)) continue;
    const d = createFact(r);
    drafts.push(d);
    byId.set(d.eventId, d);
  }
  const unresolved: string[] = [];
  const releases: Release[] = [];
  for (const r of records) {
    if (isFactRecord(r)) continue;
    if (r.event.type === 'release.recorded') releases.push(toRelease(r.event));
    else if (!applyStatus(r as PositionedEvent<StatusEvent>, byId)) unresolved.push(r.event.id);
  }
  // drafts are in fold order: a withdrawal marks the consents before it whose scope it overlaps.
  drafts.forEach((w, j) => {
    if (w.kind !== 'withdrawal') return;
    for (const c of drafts.slice(0, j))
      if (c.kind === 'consent' && intersects(c.scope, w.scope)) c.withdrawnBy.push(w.eventId);
  });
  for (const d of drafts)
    if (d.kind === 'consent') d.reconfirmations.sort((a, b) => comparePosition(a.position, b.position));
  const facts = drafts.map((d): Fact => (d.kind === 'consent' ? { ...d, status: consentStatus(d) } : d));
  return { subject, records, facts, unresolved, releases };
}

function toRelease(e: ReleaseEvent): Release {
  const { releaseId, dataUserId, purpose, dataCategories, occurredAt } = e.data;
  return { eventId: e.id, releaseId, dataUserId, purpose, dataCategories, occurredAt };
}

/** The organisations that recorded the subject's events (envelope `source`; ledger components are
 *  `sys:…`). Who may read a subject by pseudonym is decided from this, never from another store. */
export function recordedBy(state: SubjectState): string[] {
  return [...new Set(state.records.map((r) => r.event.source).filter((s) => !s.startsWith('sys:')))];
}
