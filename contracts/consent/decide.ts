// "May data user U use subject S's data for purpose P?" — the one decision function. Pure: the
// policy and the time are passed in. Total: for any folded state it returns a decision with at
// least one reason and the ledger event ids it rests on; it never throws.
//
// Rules, in order (decide.unit.spec.ts states each as a table of cases):
//  1. The data user must be known and hold an unexpired approval for the purpose.
//  2. An active national opt-out denies, whatever consent came before or after it.
//  3. Otherwise the subject's facts whose scope covers the request are read newest first (by
//     occurredAt, ledger order breaking ties). The newest one IN FORCE decides:
//       withdrawal → deny; active opt-out → deny; effective consent not past validUntil → permit.
//     A revoked opt-out is lifted and says nothing. A consent NOT in force — pending cooling-off,
//     awaiting reconfirmation, cancelled, lapsed, expired — cannot permit, but neither does it
//     take away an older consent that is in force: it was an offer to allow (not yet or no longer
//     valid), not a refusal. So it is passed over, and if nothing older permits it is the first
//     reason given for the denial (with the date a pending consent could become effective).
//     Why not let the newest covering event decide whatever its state: a person renewing an
//     effective consent would lose it for 14 days of cooling-off, and cancelling a new, wider
//     consent would silently revoke the narrower one they never withdrew. Refusals do stop the
//     reading: a newer withdrawal or opt-out always wins over an older consent, and a newer
//     consent (once effective) over an older withdrawal or opt-out, each for its own scope.
//  4. No covering fact at all → the policy's default model (opt-in denies, opt-out permits).
// The clock never makes a consent effective — only consent.effective does, written by the
// workflow, so the ledger alone tells the story. The clock does end one: validUntil ≤ now denies
// even before the workflow has written consent.expired (fail closed).
// Dates in a denial (effectiveFrom, reconfirmFrom, reconfirmBy) come from lifecycle.ts on the policy
// version recorded on the consent — the functions and the version the workflow that writes
// consent.effective uses — so a denial never promises a date the workflow will not honour. The
// current policy decides only the default model (rule 4) and names the decision's policyVersion.
import type { Approval } from './data.js';
import type { ConsentFact, Fact, SubjectState } from './fold.js';
import {
  consentOutlook,
  countedReconfirmation,
  personReconfirmationWindow,
  personStanding,
  reconfirmationCounts,
  supersededByPerson,
  type ConsentTerms,
} from './lifecycle.js';
import { ROLE_WORDS } from './expressedBy.js';
import { policyOf, type Policy, type PolicySet } from './policy.js';
import { compareUtc } from './primitives.js';
import { covers, type ScopePoint } from './scope.js';
import type { DataCategory, DataUserCategory, Jurisdiction, Purpose } from './vocabulary.js';

export const REASON_CODES = [
  'data-user-not-approved',
  'national-opt-out',
  'consent-effective',
  'cooling-off',
  'awaiting-reconfirmation',
  'reconfirmed-taking-effect',
  'expires-before-effective',
  'policy-version-unknown',
  'opt-out',
  'withdrawn',
  'cancelled',
  'lapsed',
  'superseded-by-person',
  'expired',
  'no-consent-default-opt-in',
  'default-opt-out-model',
  'subject-mismatch',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  /** Plain text for people; never contains personal data (ids only). */
  readonly message: string;
  /** The ledger events this reason rests on. */
  readonly eventIds: readonly string[];
}

export interface Decision {
  readonly decision: 'permit' | 'deny';
  /** Most relevant first; never empty. */
  readonly reasons: readonly [Reason, ...Reason[]];
  /** Every event id the decision rests on (union of the reasons', in order). */
  readonly eventIds: readonly string[];
  readonly policyVersion: string;
  /** Denied by a consent not yet effective: the moment its consent.effective will name (unless refused). */
  readonly effectiveFrom?: string;
  /** Denied by an acute/emergency consent awaiting reconfirmation: the first moment a reconfirmation counts. */
  readonly reconfirmFrom?: string;
  /** … and the last moment one counts; with none by then the consent lapses. */
  readonly reconfirmBy?: string;
}

/** The data user as the registry knows it (dataUser.registered / dataUser.approved). */
export interface DataUserContext {
  readonly id: string;
  readonly category: DataUserCategory;
  readonly jurisdiction: Jurisdiction;
  readonly approvals: readonly Approval[];
}

export interface DecisionRequest {
  readonly subject: string;
  readonly purpose: Purpose;
  readonly dataCategory: DataCategory;
  /** undefined: not a registered data user. */
  readonly dataUser: DataUserContext | undefined;
}

/** Rules 1-4 for one subject. */
export function decide(state: SubjectState, request: DecisionRequest, policies: PolicySet, now: string): Decision {
  const policy = policies.current;
  if (state.subject !== undefined && state.subject !== request.subject) {
    return verdict('deny', [reason('subject-mismatch', 'the state given is not the requested subject’s', [])], policy);
  }
  const { dataUser, purpose, dataCategory } = request;
  if (dataUser === undefined) return unregistered(policy);
  const refused = dataUserDenial(dataUser, purpose, policy, now);
  if (refused) return refused;
  const point = { purpose, dataCategory, dataUserCategory: dataUser.category, jurisdiction: dataUser.jurisdiction };
  return consentDecision(state, point, policies, now);
}

/** Rule 1 alone — the same for every subject of a cohort, so a filter checks it once. */
export function dataUserDenial(
  dataUser: DataUserContext | undefined,
  purpose: Purpose,
  policy: Policy,
  now: string,
): Decision | undefined {
  if (!dataUser) return unregistered(policy);
  const approved = dataUser.approvals.some((a) => a.purpose === purpose && compareUtc(now, a.expiresAt) < 0);
  if (approved) return undefined;
  const message = `data user ${dataUser.id} holds no unexpired approval for purpose ${purpose}`;
  return verdict('deny', [reason('data-user-not-approved', message, [])], policy);
}

/** Rules 2-4 for one subject and one concrete use: they read only the subject's facts (a cohort
 *  filter's snapshot keeps no more, services/query/projectionSnapshot.ts). */
export function consentDecision(
  state: Pick<SubjectState, 'facts'>,
  point: ScopePoint,
  policies: PolicySet,
  now: string,
): Decision {
  const policy = policies.current;
  const national = state.facts.filter((f) => f.kind === 'opt-out' && f.national && !f.revoked);
  if (national.length > 0) {
    const ids = national.map((f) => f.eventId);
    return verdict(
      'deny',
      [reason('national-opt-out', `national data opt-out ${ids.join(', ')} is in force`, ids)],
      policy,
    );
  }
  let passedOver: NotInForce | undefined; // the newest covering consent that is not in force
  const superseded = supersededConsents(state.facts);
  for (let i = state.facts.length - 1; i >= 0; i--) {
    const fact = state.facts[i]!;
    if (!covers(fact.scope, point)) continue;
    const j = superseded.has(fact.eventId) ? supersededJudgement(fact) : judge(fact, policies, now);
    switch (j.kind) {
      case 'silent':
        continue;
      case 'not-in-force':
        passedOver ??= j;
        continue;
      case 'permit':
        return verdict('permit', [j.reason], policy);
      case 'deny':
        return passedOver ? fromPassedOver(passedOver, j.reason, policy) : verdict('deny', [j.reason], policy);
      default: {
        const _never: never = j;
        return _never;
      }
    }
  }
  if (passedOver) return fromPassedOver(passedOver, undefined, policy);
  return policy.defaultModel === 'opt-in'
    ? verdict(
        'deny',
        [reason('no-consent-default-opt-in', 'no consent covers this use; the policy is opt-in', [])],
        policy,
      )
    : verdict(
        'permit',
        [reason('default-opt-out-model', 'no opt-out or withdrawal covers this use; the policy is opt-out', [])],
        policy,
      );
}

/**
 * Until when consentDecision's answer for these facts and any point stays what it is at `now`: the
 * earliest instant after `now` at which one of its two readings of the clock can turn — a consent's
 * validUntil, and the end of a proxy consent's window for the person's reconfirmation (lifecycle
 * personStanding). Read for every consent, whatever its scope or status (an upper bound is enough).
 * Undefined: no reading of the clock can turn, the answer holds until the facts change. A cohort
 * filter keeps answers this long (services/query/projectionSnapshot.ts).
 */
export function consentDecisionStableUntil(
  state: Pick<SubjectState, 'facts'>,
  policies: PolicySet,
  now: string,
): string | undefined {
  let until: string | undefined;
  const turnsAt = (at: string | undefined) => {
    if (at !== undefined && compareUtc(at, now) > 0 && (until === undefined || compareUtc(at, until) < 0)) until = at;
  };
  for (const fact of state.facts) {
    if (fact.kind !== 'consent') continue;
    turnsAt(fact.validUntil);
    const policy = policyOf(policies, fact.policyVersion);
    if (policy && fact.effective)
      turnsAt(personReconfirmationWindow(termsOf(fact), fact.effective.occurredAt, policy)?.by);
  }
  return until;
}

// --- one fact ---------------------------------------------------------------------------------

/** The lifecycle's terms of a consent (its consent.given, and a proxy's authority). */
export function termsOf(c: ConsentFact): ConsentTerms {
  return {
    givenAt: c.occurredAt,
    setting: c.capture.setting,
    validUntil: c.validUntil,
    authorityEndsAt: c.expressedBy?.role === 'person' ? undefined : c.expressedBy?.authorityEndsAt,
  };
}

/** Proxies' consents the person's own later consent replaced (lifecycle supersededByPerson). */
export function supersededConsents(facts: readonly Fact[]): Set<string> {
  const consents = facts.flatMap((f) =>
    f.kind === 'consent'
      ? [
          {
            eventId: f.eventId,
            givenAt: f.occurredAt,
            byProxy: f.expressedBy !== undefined && f.expressedBy.role !== 'person',
            authorityEndsAt: termsOf(f).authorityEndsAt,
            tookEffect: f.effective !== undefined && f.ended?.status !== 'cancelled',
            reconfirmations: f.reconfirmations,
          },
        ]
      : [],
  );
  return new Set(supersededByPerson(consents));
}

function supersededJudgement(fact: Fact): Judgement {
  if (fact.kind !== 'consent') return { kind: 'silent' };
  const who = ROLE_WORDS[fact.expressedBy?.role ?? 'person'];
  const message = `consent ${fact.eventId} was given by ${who} for the person; the person's own later consent replaced it`;
  return notInForce('superseded-by-person', message, [fact.eventId]);
}

type Dates = Pick<Decision, 'effectiveFrom' | 'reconfirmFrom' | 'reconfirmBy'>;
type NotInForce = { kind: 'not-in-force'; reason: Reason } & Dates;
type Judgement =
  { kind: 'silent' } | { kind: 'permit'; reason: Reason } | { kind: 'deny'; reason: Reason } | NotInForce;

function judge(fact: Fact, policies: PolicySet, now: string): Judgement {
  switch (fact.kind) {
    case 'opt-out':
      if (fact.revoked) return { kind: 'silent' };
      return { kind: 'deny', reason: reason('opt-out', `opt-out ${fact.eventId} covers this use`, [fact.eventId]) };
    case 'withdrawal':
      return {
        kind: 'deny',
        reason: reason('withdrawn', `withdrawal ${fact.eventId} covers this use`, [fact.eventId]),
      };
    case 'consent':
      return judgeConsent(fact, policies, now);
    default: {
      const _never: never = fact;
      return _never;
    }
  }
}

function judgeConsent(c: ConsentFact, policies: PolicySet, now: string): Judgement {
  const id = c.eventId;
  const ids = (...refs: ({ eventId: string } | undefined)[]) => [id, ...refs.flatMap((r) => (r ? [r.eventId] : []))];
  const pastValidUntil = c.validUntil !== undefined && compareUtc(now, c.validUntil) >= 0;
  switch (c.status) {
    case 'cancelled':
    case 'lapsed':
    case 'expired':
      return notInForce(c.status, `consent ${id} is ${c.status} (${c.ended!.eventId})`, ids(c.ended));
    case 'effective':
      if (pastValidUntil)
        return notInForce('expired', `consent ${id} was valid until ${c.validUntil}`, ids(c.effective));
      return judgeEffective(c, policies, now);
    case 'cooling-off':
    case 'awaiting-reconfirmation': {
      if (pastValidUntil) return notInForce('expired', `consent ${id} was valid until ${c.validUntil}`, ids());
      const policy = policyOf(policies, c.policyVersion);
      if (!policy) {
        const message = `consent ${id} names policy version ${c.policyVersion}, which this deployment does not hold`;
        return notInForce('policy-version-unknown', message, ids());
      }
      return judgeNotYetEffective(c, policy);
    }
    default: {
      const _never: never = c.status;
      return _never;
    }
  }
}

/** An effective consent in force — unless a proxy gave it and the person did not reconfirm it in time. */
function judgeEffective(c: ConsentFact, policies: PolicySet, now: string): Judgement {
  const id = c.eventId;
  const policy = policyOf(policies, c.policyVersion);
  const rests = [id, ...[countedOf(c, policies), c.effective].flatMap((r) => (r ? [r.eventId] : []))];
  const standing = policy
    ? personStanding(termsOf(c), c.effective!.occurredAt, c.reconfirmations, policy, now)
    : ({ kind: 'not-needed' } as const);
  const who = ROLE_WORDS[c.expressedBy?.role ?? 'person'];
  switch (standing.kind) {
    case 'lapsed':
      return notInForce(
        'lapsed',
        `consent ${id} was given by ${who} whose authority to act for the person has ended; the person did not ` +
          `reconfirm it by ${standing.window.by}`,
        rests,
      );
    case 'awaiting-person':
      return permit(
        `consent ${id} is effective and covers this use; it was given by ${who}, whose authority has ended or ends, ` +
          `and lapses at ${standing.window.by} unless the person reconfirms it from ${standing.window.from}`,
        rests,
      );
    case 'reconfirmed':
      return permit(
        `consent ${id} is effective and covers this use (the person reconfirmed it: ${standing.by.eventId})`,
        [...rests, standing.by.eventId],
      );
    case 'not-needed':
      return permit(`consent ${id} is effective and covers this use`, rests);
    default: {
      const _never: never = standing;
      return _never;
    }
  }
}

function permit(message: string, eventIds: string[]): Judgement {
  return { kind: 'permit', reason: reason('consent-effective', message, [...new Set(eventIds)]) };
}

/** The reconfirmation that made an acute consent effective (none for routine capture). */
function countedOf(c: ConsentFact, policies: PolicySet) {
  const policy = policyOf(policies, c.policyVersion);
  if (!policy || c.reconfirmations.length === 0) return undefined;
  return countedReconfirmation(termsOf(c), c.reconfirmations, policy);
}

/** A consent waiting for its consent.effective: what the lifecycle says will happen, and when. */
function judgeNotYetEffective(c: ConsentFact, policy: Policy): NotInForce {
  const id = c.eventId;
  const terms = termsOf(c);
  const outlook = consentOutlook(terms, c.reconfirmations, policy);
  switch (outlook.kind) {
    case 'expires-first':
      return notInForce(
        'expires-before-effective',
        `consent ${id} ends (validUntil ${outlook.at}) before it can take effect`,
        [id],
      );
    case 'effective-at':
      if (outlook.reconfirmedBy === undefined) {
        const message = `consent ${id} is in its cooling-off period until ${outlook.at}`;
        return notInForce('cooling-off', message, [id], { effectiveFrom: outlook.at });
      }
      return notInForce(
        'reconfirmed-taking-effect',
        `consent ${id} was reconfirmed (${outlook.reconfirmedBy}) and takes effect from ${outlook.at}`,
        [id, outlook.reconfirmedBy],
        { effectiveFrom: outlook.at },
      );
    case 'needs-reconfirmation': {
      const { from, by } = outlook.window;
      const early = c.reconfirmations.filter((r) => !reconfirmationCounts(terms, r.occurredAt, policy));
      const message =
        `consent ${id} was captured in an ${c.capture.setting} setting: it takes effect only if the person ` +
        `reconfirms it after its cooling-off, between ${from} and ${by}` +
        (early.length > 0
          ? `; reconfirmation ${early.map((r) => r.eventId).join(', ')} was made outside that window and does not count`
          : '');
      return notInForce('awaiting-reconfirmation', message, [id, ...early.map((r) => r.eventId)], {
        reconfirmFrom: from,
        reconfirmBy: by,
      });
    }
    default: {
      const _never: never = outlook;
      return _never;
    }
  }
}

function notInForce(code: ReasonCode, message: string, eventIds: string[], dates: Dates = {}): NotInForce {
  return { kind: 'not-in-force', reason: reason(code, message, eventIds), ...dates };
}

function unregistered(policy: Policy): Decision {
  return verdict('deny', [reason('data-user-not-approved', 'not a registered data user', [])], policy);
}

// --- assembling a decision --------------------------------------------------------------------

function reason(code: ReasonCode, message: string, eventIds: readonly string[]): Reason {
  return { code, message, eventIds };
}

function fromPassedOver(p: NotInForce, stop: Reason | undefined, policy: Policy): Decision {
  const d = verdict('deny', stop ? [p.reason, stop] : [p.reason], policy);
  return {
    ...d,
    ...(p.effectiveFrom !== undefined && { effectiveFrom: p.effectiveFrom }),
    ...(p.reconfirmFrom !== undefined && { reconfirmFrom: p.reconfirmFrom }),
    ...(p.reconfirmBy !== undefined && { reconfirmBy: p.reconfirmBy }),
  };
}

function verdict(decision: Decision['decision'], reasons: readonly [Reason, ...Reason[]], policy: Policy): Decision {
  const eventIds = [...new Set(reasons.flatMap((r) => r.eventIds))];
  return { decision, reasons, eventIds, policyVersion: policy.version };
}
