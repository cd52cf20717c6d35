// fast-check generators of subject ledgers, requests and policies for the property tests of
// fold.ts and decide.ts. Test-only (imports fast-check, a dev dependency): never import it from
// production code.
import fc from 'fast-check';
import type { DataUserContext } from './decide.js';
import type { LedgerEvent } from './events.js';
import { EXAMPLE_EVENTS } from './examples.js';
import * as b from './fixtures.js';
import type { PositionedEvent } from './order.js';
import { DEFAULT_POLICY, policySet, type Policy, type PolicySet } from './policy.js';
import {
  ANY,
  CAPTURE_SETTINGS,
  DATA_CATEGORIES,
  DATA_USER_CATEGORIES,
  FULL_SCOPE,
  JURISDICTIONS,
  PURPOSES,
  type Scope,
} from './vocabulary.js';

// "*" three times in four, so that scopes often cover a request and decisions vary.
const dim = <T extends string>(values: readonly T[]) =>
  fc.oneof(
    { arbitrary: fc.constant(ANY), weight: 3 },
    { arbitrary: fc.subarray([...values], { minLength: 1 }), weight: 1 },
  );

export const arbScope: fc.Arbitrary<Scope> = fc.record({
  purposes: dim(PURPOSES),
  dataCategories: dim(DATA_CATEGORIES),
  dataUserCategories: dim(DATA_USER_CATEGORIES),
  jurisdictions: dim(JURISDICTIONS),
});

const KINDS = [
  'given',
  'given',
  'given',
  'effective',
  'effective',
  'effective',
  'reconfirmed',
  'cancelled',
  'lapsed',
  'expired',
  'withdrawn',
  'withdrawn',
  'optout',
  'revoked',
  'sent',
  'ack',
  'overdue',
  'completed',
  'dataUser',
] as const;

const arbStep = fc.record({
  kind: fc.constantFrom(...KINDS),
  // Few distinct instants, so equal occurredAt (ties broken by ledger order) are common.
  at: fc.integer({ min: 0, max: 8 }).map((n) => n * 5),
  lag: fc.constantFrom(0, 0, 1, 40),
  scope: arbScope,
  setting: fc.constantFrom(...CAPTURE_SETTINGS),
  national: fc.boolean(),
  validFor: fc.option(fc.integer({ min: 1, max: 200 })),
  // A parent gave one consent in four, with authority ending this many days after it (the person's own
  // reconfirmation window then opens, and the consent lapses at its end without one).
  proxyFor: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 3 }),
  ref: fc.nat(),
  dangling: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  user: fc.constantFrom('du_alpha', 'du_beta'),
});
type Step = typeof arbStep extends fc.Arbitrary<infer S> ? S : never;

function build(steps: readonly Step[]): LedgerEvent[] {
  const ids = { consent: [] as string[], withdrawal: [] as string[], optout: [] as string[] };
  const pick = (s: Step, list: string[]) => (s.dangling || list.length === 0 ? 'missing' : list[s.ref % list.length]!);
  return steps.map((s, i) => {
    const id = `e${i}`;
    const o = { recordedAt: s.at + s.lag, id };
    switch (s.kind) {
      case 'given':
        ids.consent.push(id);
        return b.given(id, s.at, {
          ...o,
          scope: s.scope,
          setting: s.setting,
          ...(s.validFor !== null && { validUntil: s.at + s.validFor }),
          ...(s.proxyFor !== null && { by: b.parent(s.at + s.proxyFor) }),
        });
      case 'effective':
        return b.effective(pick(s, ids.consent), s.at, o);
      case 'reconfirmed':
        return b.reconfirmed(pick(s, ids.consent), s.at, o);
      case 'cancelled':
        return b.cancelled(pick(s, ids.consent), s.at, o);
      case 'lapsed':
        return b.lapsed(pick(s, ids.consent), s.at, o);
      case 'expired':
        return b.expired(pick(s, ids.consent), s.at, o);
      case 'withdrawn':
        ids.withdrawal.push(id);
        return b.withdrawn(id, s.at, {
          ...o,
          scope: s.scope,
          ...(ids.consent.length > 0 && { consentId: pick(s, ids.consent) }),
        });
      case 'optout':
        ids.optout.push(id);
        return b.optOut(id, s.at, { ...o, scope: s.national ? { ...FULL_SCOPE } : s.scope, national: s.national });
      case 'revoked':
        return b.optOutRevoked(pick(s, ids.optout), s.at, o);
      case 'sent':
        return { ...b.revocationSent(pick(s, ids.withdrawal), s.user, s.at, o), id };
      case 'ack':
        return { ...b.revocationAcknowledged(pick(s, ids.withdrawal), s.user, s.at, o), id };
      case 'overdue':
        return { ...b.revocationOverdue(pick(s, ids.withdrawal), s.user, s.at, o), id };
      case 'completed':
        return { ...b.withdrawalCompleted(pick(s, ids.withdrawal), [s.user], s.at, o), id };
      case 'dataUser':
        return { ...EXAMPLE_EVENTS['dataUser.registered'], id };
      default: {
        const _never: never = s.kind;
        return _never;
      }
    }
  });
}

/** A subject's ledger, in ledger order (offsets 0..n-1). */
export const arbLedger: fc.Arbitrary<PositionedEvent[]> = fc
  .array(arbStep, { maxLength: 14 })
  .map((steps) => b.ledger(...build(steps)));

/** Mostly approved data users; now and then an unregistered one or one whose approval fails. */
export const arbDataUser: fc.Arbitrary<DataUserContext | undefined> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      b.dataUser('du_nhs-uk', 'nhs', 'uk'),
      b.dataUser('du_uni-eu', 'academic', 'eu'),
      b.dataUser('du_corp-intl', 'commercial', 'international'),
    ),
    weight: 8,
  },
  {
    arbitrary: fc.constantFrom(
      undefined,
      b.dataUser('du_uni-research', 'academic', 'uk', ['research']),
      b.dataUser('du_uni-old', 'academic', 'uk', PURPOSES, 20),
    ),
    weight: 2,
  },
);

export const arbRequest = fc.record({
  subject: fc.oneof(
    { arbitrary: fc.constant(b.SUBJECT), weight: 19 },
    { arbitrary: fc.constant('sub_AnotherSubject000001'), weight: 1 },
  ),
  purpose: fc.constantFrom(...PURPOSES),
  dataCategory: fc.constantFrom(...DATA_CATEGORIES),
  dataUser: arbDataUser,
});

/** A deployment whose only version is `p`, under the version the fixtures record on consents. */
export const recordedUnder = (p: Policy): PolicySet => policySet([{ ...p, version: '2026-01' }]);

export const arbPolicy: fc.Arbitrary<Policy> = fc.oneof(
  fc.constant(DEFAULT_POLICY),
  fc.constant({ ...DEFAULT_POLICY, version: 'opt-out-1', defaultModel: 'opt-out' as const }),
  fc
    .record({
      coolingOffDays: fc.integer({ min: 0, max: 30 }),
      extra: fc.integer({ min: 0, max: 30 }),
      reconfirmationWindowDays: fc.integer({ min: 1, max: 60 }),
      defaultModel: fc.constantFrom('opt-in' as const, 'opt-out' as const),
    })
    .map(({ extra, ...p }) => ({
      ...DEFAULT_POLICY,
      ...p,
      version: 'random',
      acuteCoolingOffDays: p.coolingOffDays + extra,
    })),
);

/** "now", in days from T0 (covers before, during and after the generated events). */
export const arbNow = fc.integer({ min: -1, max: 120 }).map((n) => b.day(n / 1.5));
