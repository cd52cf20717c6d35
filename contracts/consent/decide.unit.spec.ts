// decide: given the subject's events (listed in ledger order) / when a data user asks for a use /
// then the decision, its reasons and the events it rests on. Each table is one rule of decide.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consentDecision,
  consentDecisionStableUntil,
  dataUserDenial,
  decide,
  REASON_CODES,
  type DataUserContext,
  type ReasonCode,
} from './decide.js';
import type { LedgerEvent } from './events.js';
import {
  SUBJECT,
  cancelled,
  dataUser,
  day,
  effective,
  expired,
  given,
  lapsed,
  ledger,
  parent,
  optOut,
  optOutRevoked,
  reconfirmed,
  revocationSent,
  scope,
  withdrawalCompleted,
  withdrawn,
  type Time,
} from './fixtures.js';
import { foldEvents, stateAsOf } from './fold.js';
import { recordedUnder, arbLedger, arbNow, arbPolicy, arbRequest } from './ledger.arbitrary.js';
import { DEFAULT_POLICY, policySet, type Policy, type PolicySet } from './policy.js';
import { covers } from './scope.js';
import { PURPOSES, type DataCategory, type Purpose } from './vocabulary.js';

const NHS_UK = dataUser('du_nhs-uk', 'nhs', 'uk');
const UNI_UK = dataUser('du_uni-uk', 'academic', 'uk');
const UNI_EU = dataUser('du_uni-eu', 'academic', 'eu');
const CORP_UK = dataUser('du_corp-uk', 'commercial', 'uk');
const CORP_INTL = dataUser('du_corp-intl', 'commercial', 'international');
const RESEARCH_ONLY = dataUser('du_uni-research', 'academic', 'uk', ['research']);
const APPROVAL_ENDS_DAY_10 = dataUser('du_uni-old', 'academic', 'uk', PURPOSES, 10);
const OPT_OUT_MODEL: Policy = { ...DEFAULT_POLICY, version: 'opt-out-1', defaultModel: 'opt-out' };
/** The deployment's versions: the default one (recorded on the fixtures' consents), then `current`. */
const setOf = (current: Policy = DEFAULT_POLICY): PolicySet =>
  current.version === DEFAULT_POLICY.version ? policySet([current]) : policySet([DEFAULT_POLICY, current]);

const RESEARCH = scope({ purposes: ['research'] });
const RESEARCH_AI = scope({ purposes: ['research', 'ai-training'] });
const NHS_ACADEMIC = scope({ dataUserCategories: ['nhs', 'academic'] });
const COMMERCIAL = scope({ dataUserCategories: ['commercial'] });
const AI_TRAINING = scope({ purposes: ['ai-training'] });

interface Case {
  name: string;
  given: LedgerEvent[];
  when?: { purpose?: Purpose; dataCategory?: DataCategory; dataUser?: DataUserContext | undefined };
  /** default: day 60 */
  now?: Time;
  policy?: Policy;
  then: {
    decision: 'permit' | 'deny';
    reasons: ReasonCode[];
    eventIds?: string[];
    effectiveFrom?: Time;
    reconfirmFrom?: Time;
    reconfirmBy?: Time;
  };
}

/** An effective routine consent: given on `at`, effective 14 days later. */
const consented = (id: string, at: number, o: Parameters<typeof given>[2] = {}) => [
  given(id, at, o),
  effective(id, at + 14),
];

function run(c: Case) {
  const state = foldEvents(ledger(...c.given));
  const when = { purpose: 'research' as Purpose, dataCategory: 'ehr' as DataCategory, dataUser: UNI_UK, ...c.when };
  const now = c.now ?? 60;
  return decide(state, { subject: SUBJECT, ...when }, setOf(c.policy), typeof now === 'number' ? day(now) : now);
}

function table(title: string, cases: Case[]) {
  describe(title, () => {
    it.each(cases)('$name', (c) => {
      const d = run(c);
      expect(d.decision).toBe(c.then.decision);
      expect(d.reasons.map((r) => r.code)).toEqual(c.then.reasons);
      if (c.then.eventIds) expect(d.eventIds).toEqual(c.then.eventIds);
      const date = (t: Time | undefined) => (typeof t === 'number' ? day(t) : t);
      expect(d.effectiveFrom).toBe(date(c.then.effectiveFrom));
      expect(d.reconfirmFrom).toBe(date(c.then.reconfirmFrom));
      expect(d.reconfirmBy).toBe(date(c.then.reconfirmBy));
    });
  });
}

table('rule 1: the data user must be registered and approved for the purpose', [
  {
    name: 'approved data user, effective consent: permit',
    given: consented('c1', 1),
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'unregistered data user: deny',
    given: consented('c1', 1),
    when: { dataUser: undefined },
    then: { decision: 'deny', reasons: ['data-user-not-approved'], eventIds: [] },
  },
  {
    name: 'approved for research only, asks for ai-training: deny',
    given: consented('c1', 1),
    when: { dataUser: RESEARCH_ONLY, purpose: 'ai-training' },
    then: { decision: 'deny', reasons: ['data-user-not-approved'] },
  },
  {
    name: 'approved for research only, asks for research: permit',
    given: consented('c1', 1),
    when: { dataUser: RESEARCH_ONLY },
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'approval expired before now: deny',
    given: consented('c1', 1),
    when: { dataUser: APPROVAL_ENDS_DAY_10 },
    now: 60,
    then: { decision: 'deny', reasons: ['data-user-not-approved'] },
  },
  {
    name: 'approval expires exactly now: deny',
    given: consented('c1', -20),
    when: { dataUser: APPROVAL_ENDS_DAY_10 },
    now: 10,
    then: { decision: 'deny', reasons: ['data-user-not-approved'] },
  },
  {
    name: 'approval still valid: permit',
    given: consented('c1', -20),
    when: { dataUser: APPROVAL_ENDS_DAY_10 },
    now: 9,
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'checked before the national opt-out',
    given: [optOut('n1', 1, { national: true })],
    when: { dataUser: undefined },
    then: { decision: 'deny', reasons: ['data-user-not-approved'] },
  },
]);

table('rule 2: a national opt-out overrides any consent', [
  {
    name: 'national opt-out, later effective consent: deny',
    given: [optOut('n1', 1, { national: true }), ...consented('c1', 10)],
    then: { decision: 'deny', reasons: ['national-opt-out'], eventIds: ['n1'] },
  },
  {
    name: 'effective consent, later national opt-out: deny',
    given: [...consented('c1', 1), optOut('n1', 30, { national: true })],
    then: { decision: 'deny', reasons: ['national-opt-out'], eventIds: ['n1'] },
  },
  {
    name: 'national opt-out revoked: the consent decides again',
    given: [optOut('n1', 1, { national: true }), ...consented('c1', 10), optOutRevoked('n1', 40)],
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'national opt-out under the opt-out model: deny',
    given: [optOut('n1', 1, { national: true })],
    policy: OPT_OUT_MODEL,
    then: { decision: 'deny', reasons: ['national-opt-out'] },
  },
  {
    name: 'a local opt-out of scope * is NOT national: a later consent wins',
    given: [optOut('o1', 1), ...consented('c1', 10)],
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
]);

table('consent lifecycle (one consent covering the request)', [
  {
    name: 'effective: permit, resting on given + effective',
    given: consented('c1', 1),
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'in cooling-off: deny with the date it becomes effective (+14 days)',
    given: [given('c1', 50)],
    then: { decision: 'deny', reasons: ['cooling-off'], eventIds: ['c1'], effectiveFrom: 64 },
  },
  {
    name: 'cooling-off over but effective not yet written: still pending (the clock never grants)',
    given: [given('c1', 40)],
    then: { decision: 'deny', reasons: ['cooling-off'], effectiveFrom: 54 },
  },
  {
    name: 'acute, in its 28-day cooling-off: awaiting reconfirmation, the window and no promised date',
    given: [given('c1', 50, { setting: 'acute' })],
    then: {
      decision: 'deny',
      reasons: ['awaiting-reconfirmation'],
      eventIds: ['c1'],
      reconfirmFrom: 78,
      reconfirmBy: 108,
    },
  },
  {
    name: 'emergency, cooling-off over: awaiting reconfirmation, deadline only',
    given: [given('c1', 0, { setting: 'emergency' })],
    now: 40,
    then: { decision: 'deny', reasons: ['awaiting-reconfirmation'], reconfirmFrom: 28, reconfirmBy: 58 },
  },
  {
    name: 'acute, reconfirmed after cooling-off, effective not yet written: takes effect from the reconfirmation',
    given: [given('c1', 0, { setting: 'acute' }), reconfirmed('c1', 30)],
    now: 31,
    then: {
      decision: 'deny',
      reasons: ['reconfirmed-taking-effect'],
      eventIds: ['c1', 'c1.reconfirmed'],
      effectiveFrom: 30,
    },
  },
  {
    name: 'acute, reconfirmed during its cooling-off: does not count, no date promised, the window named',
    given: [given('c1', 0, { setting: 'acute' }), reconfirmed('c1', 10)],
    now: 12,
    then: {
      decision: 'deny',
      reasons: ['awaiting-reconfirmation'],
      eventIds: ['c1', 'c1.reconfirmed'],
      reconfirmFrom: 28,
      reconfirmBy: 58,
    },
  },
  {
    name: 'acute, reconfirmed early then again after the cooling-off: the second counts',
    given: [
      given('c1', 0, { setting: 'acute' }),
      reconfirmed('c1', 10, { id: 'r-early' }),
      reconfirmed('c1', 35, { id: 'r-late' }),
    ],
    now: 36,
    then: { decision: 'deny', reasons: ['reconfirmed-taking-effect'], eventIds: ['c1', 'r-late'], effectiveFrom: 35 },
  },
  {
    name: 'acute, reconfirmed after the window closed: does not count',
    given: [given('c1', 0, { setting: 'acute' }), reconfirmed('c1', 59)],
    now: 59.5,
    then: { decision: 'deny', reasons: ['awaiting-reconfirmation'], reconfirmFrom: 28, reconfirmBy: 58 },
  },
  {
    name: 'validUntil before the cooling-off ends: no date promised',
    given: [given('c1', 50, { validUntil: 60 })],
    now: 55,
    then: { decision: 'deny', reasons: ['expires-before-effective'], eventIds: ['c1'] },
  },
  {
    name: 'a consent on a policy version the deployment does not hold: no date promised',
    given: [given('c1', 50, { policyVersion: '1999-01' })],
    then: { decision: 'deny', reasons: ['policy-version-unknown'], eventIds: ['c1'] },
  },
  {
    name: 'acute, reconfirmed and effective: permit',
    given: [given('c1', 0, { setting: 'acute' }), reconfirmed('c1', 30), effective('c1', 30.01)],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.reconfirmed', 'c1.effective'] },
  },
  {
    name: 'cancelled in cooling-off: deny',
    given: [given('c1', 1), cancelled('c1', 5)],
    then: { decision: 'deny', reasons: ['cancelled'], eventIds: ['c1', 'c1.cancelled'] },
  },
  {
    name: 'lapsed (never reconfirmed): deny',
    given: [given('c1', 0, { setting: 'acute' }), lapsed('c1', 58)],
    then: { decision: 'deny', reasons: ['lapsed'], eventIds: ['c1', 'c1.lapsed'] },
  },
  {
    name: 'expired by event: deny',
    given: [...consented('c1', 1, { validUntil: 40 }), expired('c1', 40)],
    then: { decision: 'deny', reasons: ['expired'], eventIds: ['c1', 'c1.expired'] },
  },
  {
    name: 'validUntil passed, consent.expired not yet written: deny',
    given: consented('c1', 1, { validUntil: 40 }),
    then: { decision: 'deny', reasons: ['expired'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'validUntil exactly now: deny',
    given: consented('c1', 1, { validUntil: 60 }),
    now: 60,
    then: { decision: 'deny', reasons: ['expired'] },
  },
  {
    name: 'validUntil in the future: permit',
    given: consented('c1', 1, { validUntil: 61 }),
    now: 60,
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'validUntil passed while still pending: expired',
    given: [given('c1', 50, { validUntil: 55 })],
    then: { decision: 'deny', reasons: ['expired'], eventIds: ['c1'] },
  },
]);

table('scope: a fact decides only if it covers the request in every dimension', [
  {
    name: 'consent for nhs/academic, commercial data user: not covered → default opt-in',
    given: consented('c1', 1, { scope: NHS_ACADEMIC }),
    when: { dataUser: CORP_UK },
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'], eventIds: [] },
  },
  {
    name: 'consent for nhs/academic, nhs data user: permit',
    given: consented('c1', 1, { scope: NHS_ACADEMIC }),
    when: { dataUser: NHS_UK },
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'consent for nhs/academic, commercial data user under the opt-out model: permit (nothing refuses it)',
    given: consented('c1', 1, { scope: NHS_ACADEMIC }),
    when: { dataUser: CORP_UK },
    policy: OPT_OUT_MODEL,
    then: { decision: 'permit', reasons: ['default-opt-out-model'] },
  },
  {
    name: 'purpose not listed: not covered',
    given: consented('c1', 1, { scope: RESEARCH }),
    when: { purpose: 'ai-training' },
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'] },
  },
  {
    name: 'data category listed: covered',
    given: consented('c1', 1, { scope: scope({ dataCategories: ['ehr', 'lab-results'] }) }),
    when: { dataCategory: 'lab-results' },
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'data category not listed: not covered',
    given: consented('c1', 1, { scope: scope({ dataCategories: ['ehr', 'lab-results'] }) }),
    when: { dataCategory: 'genomics' },
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'] },
  },
  {
    name: 'jurisdiction uk only, EU data user: not covered',
    given: consented('c1', 1, { scope: scope({ jurisdictions: ['uk'] }) }),
    when: { dataUser: UNI_EU },
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'] },
  },
  {
    name: '* in every dimension covers commercial, international, product-development, free-text',
    given: consented('c1', 1),
    when: { dataUser: CORP_INTL, purpose: 'product-development', dataCategory: 'free-text' },
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'one dimension missing is enough to not cover',
    given: consented('c1', 1, {
      scope: scope({
        purposes: ['research'],
        dataCategories: ['ehr'],
        dataUserCategories: ['academic'],
        jurisdictions: ['eu'],
      }),
    }),
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'] },
  },
]);

table('rule 3: the newest covering fact in force decides', [
  {
    name: 'broad consent, newer narrow withdrawal (commercial): commercial request denied',
    given: [...consented('c1', 1), withdrawn('w1', 30, { scope: COMMERCIAL })],
    when: { dataUser: CORP_UK },
    then: { decision: 'deny', reasons: ['withdrawn'], eventIds: ['w1'] },
  },
  {
    name: 'broad consent, newer narrow withdrawal (commercial): academic request still permitted',
    given: [...consented('c1', 1), withdrawn('w1', 30, { scope: COMMERCIAL })],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'broad withdrawal, newer narrow consent: permitted within the consent',
    given: [withdrawn('w1', 1), ...consented('c2', 10, { scope: RESEARCH })],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c2', 'c2.effective'] },
  },
  {
    name: 'broad withdrawal, newer narrow consent: still withdrawn outside it',
    given: [withdrawn('w1', 1), ...consented('c2', 10, { scope: RESEARCH })],
    when: { purpose: 'ai-training' },
    then: { decision: 'deny', reasons: ['withdrawn'], eventIds: ['w1'] },
  },
  {
    name: 're-consent after withdrawal, effective: permit by the new consent',
    given: [...consented('c1', 1), withdrawn('w1', 20, { consentId: 'c1' }), ...consented('c2', 30)],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c2', 'c2.effective'] },
  },
  {
    name: 're-consent after withdrawal, in cooling-off: deny, pending first, withdrawal second',
    given: [...consented('c1', 1), withdrawn('w1', 20), given('c2', 55)],
    then: { decision: 'deny', reasons: ['cooling-off', 'withdrawn'], eventIds: ['c2', 'w1'], effectiveFrom: 69 },
  },
  {
    name: 'effective consent, newer local opt-out: deny',
    given: [...consented('c1', 1), optOut('o1', 30)],
    then: { decision: 'deny', reasons: ['opt-out'], eventIds: ['o1'] },
  },
  {
    name: 'local opt-out then revoked: the older consent applies again',
    given: [...consented('c1', 1), optOut('o1', 30), optOutRevoked('o1', 40)],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'narrow local opt-out (ai-training) under a broad consent: research permitted',
    given: [...consented('c1', 1), optOut('o1', 30, { scope: AI_TRAINING })],
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: 'narrow local opt-out (ai-training) under a broad consent: ai-training denied',
    given: [...consented('c1', 1), optOut('o1', 30, { scope: AI_TRAINING })],
    when: { purpose: 'ai-training' },
    then: { decision: 'deny', reasons: ['opt-out'] },
  },
  {
    name: 'renewal in cooling-off does not suspend the effective consent',
    given: [...consented('c1', 1), given('c2', 55)],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'cancelling a newer, wider consent keeps the older one: research permitted',
    given: [...consented('c1', 1, { scope: RESEARCH }), given('c2', 30, { scope: RESEARCH_AI }), cancelled('c2', 35)],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'cancelling a newer, wider consent: ai-training denied as cancelled',
    given: [...consented('c1', 1, { scope: RESEARCH }), given('c2', 30, { scope: RESEARCH_AI }), cancelled('c2', 35)],
    when: { purpose: 'ai-training' },
    then: { decision: 'deny', reasons: ['cancelled'], eventIds: ['c2', 'c2.cancelled'] },
  },
  {
    name: 'newer consent expired, older one still valid: permit by the older',
    given: [...consented('c1', 1, { validUntil: 400 }), ...consented('c2', 10, { validUntil: 50 })],
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'older consent expired, renewal pending: deny with the renewal’s date',
    given: [...consented('c1', 1, { validUntil: 50 }), given('c2', 52)],
    then: { decision: 'deny', reasons: ['cooling-off'], eventIds: ['c2'], effectiveFrom: 66 },
  },
  {
    name: 'same occurredAt: the one later on the ledger wins (withdrawal recorded second)',
    given: [...consented('c1', 5), withdrawn('w1', 5)],
    then: { decision: 'deny', reasons: ['withdrawn'] },
  },
  {
    name: 'same occurredAt: the one later on the ledger wins (consent recorded second)',
    given: [withdrawn('w1', 5), given('c1', 5), effective('c1', 19)],
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
]);

table('late arrival: events fold where they occurred, not where they were recorded', [
  {
    name: 'paper withdrawal recorded after a later consent: the consent is newer → permit',
    given: [...consented('c1', 30), withdrawn('w-paper', 20, { recordedAt: 70 })],
    now: 80,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'paper withdrawal that occurred after the consent, recorded late: deny',
    given: [...consented('c1', 1), withdrawn('w-paper', 50, { recordedAt: 70 })],
    now: 80,
    then: { decision: 'deny', reasons: ['withdrawn'], eventIds: ['w-paper'] },
  },
  {
    name: 'paper cancellation recorded after the workflow made it effective: deny',
    given: [given('c1', 1), effective('c1', 15), cancelled('c1', 10, { recordedAt: 20 })],
    then: { decision: 'deny', reasons: ['cancelled'] },
  },
]);

table('rule 4: no covering fact → the default model', [
  {
    name: 'no events, opt-in: deny',
    given: [],
    then: { decision: 'deny', reasons: ['no-consent-default-opt-in'], eventIds: [] },
  },
  {
    name: 'no events, opt-out: permit',
    given: [],
    policy: OPT_OUT_MODEL,
    then: { decision: 'permit', reasons: ['default-opt-out-model'], eventIds: [] },
  },
  {
    name: 'only a revoked local opt-out, opt-out model: permit',
    given: [optOut('o1', 1), optOutRevoked('o1', 2)],
    policy: OPT_OUT_MODEL,
    then: { decision: 'permit', reasons: ['default-opt-out-model'] },
  },
  {
    name: 'withdrawal, opt-out model: deny',
    given: [withdrawn('w1', 1)],
    policy: OPT_OUT_MODEL,
    then: { decision: 'deny', reasons: ['withdrawn'] },
  },
  {
    name: 'local opt-out, opt-out model: deny',
    given: [optOut('o1', 1, { scope: RESEARCH })],
    policy: OPT_OUT_MODEL,
    then: { decision: 'deny', reasons: ['opt-out'] },
  },
  {
    name: 'pending consent, opt-out model: a covering fact exists → deny pending',
    given: [given('c1', 55)],
    policy: OPT_OUT_MODEL,
    then: { decision: 'deny', reasons: ['cooling-off'], effectiveFrom: 69 },
  },
  {
    name: 'propagation outcomes decide nothing',
    given: [revocationSent('w-elsewhere', 'du_uni-uk', 1), withdrawalCompleted('w-elsewhere', ['du_uni-uk'], 2)],
    policy: OPT_OUT_MODEL,
    then: { decision: 'permit', reasons: ['default-opt-out-model'], eventIds: [] },
  },
]);

// A parent consents for a child on day 0 (effective day 14); the parent's authority ends on day 100, the
// child's 16th birthday. The person then has 90 days (default policy) to reconfirm it themselves.
const PARENT = parent(100);
const ATTORNEY = { role: 'lasting-power-of-attorney', authorityReference: 'LPA-2026-7' } as const;
const childConsent = [given('c1', 0, { by: PARENT }), effective('c1', 14)];
describe('consentDecisionStableUntil: when a decision can next turn by the clock alone', () => {
  const until = (events: LedgerEvent[], now: number) =>
    consentDecisionStableUntil(foldEvents(ledger(...events)), setOf(), day(now));
  it('a proxy consent: at the end of the person’s reconfirmation window', () => {
    expect(until(childConsent, 60)).toBe(day(190));
    expect(until(childConsent, 190)).toBeUndefined();
  });
  it('a consent with validUntil: then; an opt-out or a withdrawal: never', () => {
    expect(until([given('c1', 0, { validUntil: 30 }), effective('c1', 14)], 20)).toBe(day(30));
    expect(until([optOut('o1', 0)], 20)).toBeUndefined();
  });
});

table('consent given by someone acting for the person; the person’s own later choice wins', [
  {
    name: 'a parent’s consent for a child, before the 16th birthday: permit',
    given: childConsent,
    now: 60,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: '… after it, inside the window without the person’s reconfirmation: still permit',
    given: childConsent,
    now: 189,
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: '… at the window’s end without it: deny lapsed, before the workflow wrote consent.lapsed (fail closed)',
    given: childConsent,
    now: 190,
    then: { decision: 'deny', reasons: ['lapsed'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: '… and once consent.lapsed is recorded',
    given: [...childConsent, lapsed('c1', 190)],
    now: 300,
    then: { decision: 'deny', reasons: ['lapsed'], eventIds: ['c1', 'c1.lapsed'] },
  },
  {
    name: 'the person reconfirmed it on day 120: stays effective',
    given: [...childConsent, reconfirmed('c1', 120)],
    now: 300,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective', 'c1.reconfirmed'] },
  },
  {
    name: 'the person’s reconfirmation before the birthday does not count: lapsed',
    given: [...childConsent, reconfirmed('c1', 90)],
    now: 300,
    then: { decision: 'deny', reasons: ['lapsed'] },
  },
  {
    name: 'the parent’s own reconfirmation does not count: lapsed',
    given: [...childConsent, reconfirmed('c1', 99, { by: PARENT })],
    now: 300,
    then: { decision: 'deny', reasons: ['lapsed'] },
  },
  {
    name: 'the person’s own later, narrower consent replaces the parent’s (outside it: deny)',
    given: [...childConsent, ...consented('o1', 110, { scope: RESEARCH })],
    when: { purpose: 'ai-training' },
    now: 150,
    then: { decision: 'deny', reasons: ['superseded-by-person'], eventIds: ['c1'] },
  },
  {
    name: '… and within it the person’s own consent permits',
    given: [...childConsent, ...consented('o1', 110, { scope: RESEARCH })],
    now: 150,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['o1', 'o1.effective'] },
  },
  {
    name: 'the person’s own later consent still in cooling-off: the parent’s keeps permitting meanwhile',
    given: [...childConsent, given('o1', 110, { scope: RESEARCH })],
    when: { purpose: 'ai-training' },
    now: 115,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['c1', 'c1.effective'] },
  },
  {
    name: 'the person’s own withdrawal after the parent’s consent: deny',
    given: [...childConsent, withdrawn('w1', 30)],
    now: 40,
    then: { decision: 'deny', reasons: ['withdrawn'] },
  },
  {
    name: 'an attorney’s consent (no end date) stays in force',
    given: [given('a1', 0, { by: ATTORNEY }), effective('a1', 14)],
    now: 3000,
    when: { dataUser: dataUser('du_uni-long', 'academic', 'uk', PURPOSES, '2040-01-01T00:00:00Z') },
    then: { decision: 'permit', reasons: ['consent-effective'] },
  },
  {
    name: '… until the person’s own later consent takes effect (then outside it: deny)',
    given: [given('a1', 0, { by: ATTORNEY }), effective('a1', 14), ...consented('o1', 200, { scope: RESEARCH })],
    when: { purpose: 'ai-training' },
    now: 300,
    then: { decision: 'deny', reasons: ['superseded-by-person'] },
  },
  {
    name: 'the person’s own consent given before an attorney’s: the attorney’s later choice counts',
    given: [...consented('o1', 0, { scope: RESEARCH }), given('a1', 100, { by: ATTORNEY }), effective('a1', 114)],
    when: { purpose: 'ai-training' },
    now: 300,
    then: { decision: 'permit', reasons: ['consent-effective'], eventIds: ['a1', 'a1.effective'] },
  },
]);

describe('point in time: decide over what was recorded at T', () => {
  const records = ledger(given('c1', 1), effective('c1', 15), withdrawn('w-paper', 50, { recordedAt: 70 }));
  const cases: { asOf: number; then: ReasonCode }[] = [
    { asOf: 0, then: 'no-consent-default-opt-in' },
    { asOf: 10, then: 'cooling-off' },
    { asOf: 20, then: 'consent-effective' },
    { asOf: 60, then: 'consent-effective' }, // withdrawn on day 50, but the paper form was not in yet
    { asOf: 70, then: 'withdrawn' },
  ];
  it.each(cases)('as of day $asOf: $then', ({ asOf, then }) => {
    const d = decide(
      stateAsOf(records, day(asOf)),
      { subject: SUBJECT, purpose: 'research', dataCategory: 'ehr', dataUser: UNI_UK },
      setOf(),
      day(asOf),
    );
    expect(d.reasons[0].code).toBe(then);
  });
});

describe('guards and pieces', () => {
  it('a state of another subject is never decided on', () => {
    const state = foldEvents(ledger(...consented('c1', 1)));
    const d = decide(
      state,
      { subject: 'sub_AnotherSubject000001', purpose: 'research', dataCategory: 'ehr', dataUser: UNI_UK },
      setOf(),
      day(60),
    );
    expect(d).toMatchObject({ decision: 'deny', reasons: [{ code: 'subject-mismatch' }], eventIds: [] });
  });

  it('a cohort filter checks the data user once, then each subject’s consent', () => {
    expect(dataUserDenial(UNI_UK, 'research', DEFAULT_POLICY, day(60))).toBeUndefined();
    expect(dataUserDenial(RESEARCH_ONLY, 'ai-training', DEFAULT_POLICY, day(60))?.reasons[0].code).toBe(
      'data-user-not-approved',
    );
    const point = {
      purpose: 'research',
      dataCategory: 'ehr',
      dataUserCategory: 'academic',
      jurisdiction: 'uk',
    } as const;
    const cohort = [ledger(...consented('c1', 1)), ledger(withdrawn('w1', 1)), ledger()];
    expect(cohort.map((r) => consentDecision(foldEvents(r), point, setOf(), day(60)).decision)).toEqual([
      'permit',
      'deny',
      'deny',
    ]);
  });

  it('records the policy version the decision was taken under', () => {
    expect(
      run({ name: '', given: [], policy: OPT_OUT_MODEL, then: { decision: 'permit', reasons: [] } }).policyVersion,
    ).toBe('opt-out-1');
  });
});

describe('properties', () => {
  const PERMIT_CODES: ReasonCode[] = ['consent-effective', 'default-opt-out-model'];

  it('(c) never throws; at least one known reason; only event ids from the state', () => {
    fc.assert(
      fc.property(arbLedger, arbRequest, arbPolicy, arbNow, (records, request, policy, now) => {
        const state = foldEvents(records);
        const d = decide(state, request, recordedUnder(policy), now);
        expect(d.reasons.length).toBeGreaterThanOrEqual(1);
        for (const r of d.reasons) expect(REASON_CODES).toContain(r.code);
        const known = new Set(state.records.map((r) => r.event.id));
        for (const id of d.eventIds) expect(known.has(id)).toBe(true);
        expect(d.eventIds).toEqual([...new Set(d.reasons.flatMap((r) => r.eventIds))]);
        if (d.decision === 'permit') {
          expect(d.reasons.map((r) => r.code)).toEqual([expect.toBeOneOf(PERMIT_CODES)]);
          expect(d.effectiveFrom).toBeUndefined();
        }
        for (const r of d.reasons) expect(r.message).not.toContain(request.subject);
      }),
    );
  });

  it('an active national opt-out always denies an approved data user', () => {
    fc.assert(
      fc.property(arbLedger, arbRequest, arbPolicy, arbNow, (records, request, policy, now) => {
        const state = foldEvents(records);
        const national = state.facts.some((f) => f.kind === 'opt-out' && f.national && !f.revoked);
        const approved = dataUserDenial(request.dataUser, request.purpose, policy, now) === undefined;
        fc.pre(national && approved && request.subject === SUBJECT);
        expect(decide(state, request, recordedUnder(policy), now).reasons[0].code).toBe('national-opt-out');
      }),
    );
  });

  it('facts whose scope does not cover the request never change the decision', () => {
    fc.assert(
      fc.property(arbLedger, arbRequest, arbPolicy, arbNow, (records, request, policy, now) => {
        const du = request.dataUser;
        // Another subject's request is refused as a mismatch by the full state, but the filtered
        // state may be empty (no subject yet): that case is about identity, not scope.
        fc.pre(du !== undefined && request.subject === SUBJECT);
        // Except a proxy's consent: the person's own later consent replaces it whole, whatever either
        // one's scope (lifecycle supersededByPerson: the person now decides).
        fc.pre(!records.some((r) => r.event.type === 'consent.given' && r.event.data.expressedBy.role !== 'person'));
        const point = {
          purpose: request.purpose,
          dataCategory: request.dataCategory,
          dataUserCategory: du.category,
          jurisdiction: du.jurisdiction,
        };
        const kept = records.filter((r) => !('scope' in r.event.data) || covers(r.event.data.scope, point));
        expect(decide(foldEvents(kept), request, recordedUnder(policy), now)).toEqual(
          decide(foldEvents(records), request, recordedUnder(policy), now),
        );
      }),
    );
  });
  // Reaches past a proxy consent's reconfirmation window (90 days after its authority ends).
  const arbLaterNow = fc.integer({ min: -1, max: 250 }).map((n) => day(n / 1.5));
  it('a decision stays what it was from its time until consentDecisionStableUntil (what a cohort filter may keep)', () => {
    let turned = 0;
    fc.assert(
      fc.property(arbLedger, arbRequest, arbPolicy, arbLaterNow, arbLaterNow, (records, request, policy, t1, t2) => {
        const du = request.dataUser;
        fc.pre(du !== undefined && request.subject === SUBJECT);
        const [from, later] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const state = foldEvents(records);
        const policies = recordedUnder(policy);
        const point = {
          purpose: request.purpose,
          dataCategory: request.dataCategory,
          dataUserCategory: du.category,
          jurisdiction: du.jurisdiction,
        };
        const until = consentDecisionStableUntil(state, policies, from);
        if (until !== undefined) expect(until > from).toBe(true);
        const before = consentDecision(state, point, policies, from);
        const after = consentDecision(state, point, policies, later);
        if (until === undefined || later < until) expect(after).toEqual(before);
        else if (after.decision !== before.decision) turned++;
      }),
      { numRuns: 3000 },
    );
    // The generated ledgers do reach the instants where a decision turns (the property is not vacuous).
    expect(turned).toBeGreaterThan(0);
  });
});
