// Who must be told of a refusal: the holders of a withdrawn subject's data (by ledger order, whatever
// the releases' occurredAt) and the releases recorded after a covering refusal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consentDecision } from './decide.js';
import type { LedgerEvent } from './events.js';
import { EMPTY_STATE, foldEvents, type SubjectState } from './fold.js';
import { given, effective, ledger, optOut, optOutRevoked, released, scope, withdrawn, type Time } from './fixtures.js';
import {
  holdersWithin,
  releaseAfterRefusal,
  releasesAfterRefusal,
  releaseWithin,
  type HolderProfile,
} from './holders.js';
import { arbLedger, arbScope } from './ledger.arbitrary.js';
import { comparePosition } from './order.js';
import { DEFAULT_POLICY, policySet } from './policy.js';
import { covers } from './scope.js';
import { DATA_CATEGORIES, DATA_USER_CATEGORIES, JURISDICTIONS, PURPOSES, type Scope } from './vocabulary.js';

const policies = policySet([{ ...DEFAULT_POLICY, version: '2026-01' }]);
const profiles: Record<string, HolderProfile> = {
  du_uni: { category: 'academic', jurisdiction: 'uk' },
  du_nhs: { category: 'nhs', jurisdiction: 'uk' },
  du_co: { category: 'commercial', jurisdiction: 'international' },
};
const profile = (id: string) => profiles[id];
/** A release by the hospital org:uclh (the releasing organisation is the event's source). */
const releasedBy = (...args: Parameters<typeof released>) => ({ ...released(...args), source: 'org:uclh' });

describe('holdersWithin', () => {
  const state = foldEvents(
    ledger(
      given('c1', 0),
      released('r1', 'du_uni', 1, { purpose: 'research', dataCategories: ['ehr', 'imaging'] }),
      released('r2', 'du_nhs', 2, { purpose: 'service-planning', dataCategories: ['lab-results'] }),
      released('r3', 'du_co', 3, { purpose: 'ai-training', dataCategories: ['genomics'] }),
      released('r4', 'du_unknown', 4, { purpose: 'research', dataCategories: ['ehr'] }),
    ),
  );

  it.each([
    ['everything', scope(), ['du_co', 'du_nhs', 'du_uni', 'du_unknown']],
    ['research only', scope({ purposes: ['research'] }), ['du_uni', 'du_unknown']],
    ['imaging only', scope({ dataCategories: ['imaging'] }), ['du_uni']],
    ['commercial users only', scope({ dataUserCategories: ['commercial'] }), ['du_co', 'du_unknown']],
    ['international only', scope({ jurisdictions: ['international'] }), ['du_co', 'du_unknown']],
    ['a purpose nobody received', scope({ purposes: ['product-development'] }), []],
  ])('a withdrawal of %s reaches exactly those holders', (_name, s, expected) => {
    expect(holdersWithin(state, s, profile)).toEqual(expected);
  });

  it('counts the releases recorded before the given ledger position', () => {
    expect(holdersWithin(state, scope(), profile, { partition: 0, offset: '2' })).toEqual(['du_uni']);
  });

  // occurredAt (when it happened) never decides who is told; ledger order (what was on record) does.
  it.each<[string, LedgerEvent[], string[]]>([
    [
      'a paper withdrawal dated two days ago, entered after a release dated yesterday',
      [released('r1', 'du_uni', 9), withdrawn('w1', 8, { recordedAt: 10 })],
      ['du_uni'],
    ],
    [
      'clock skew: a release recorded half a second before a withdrawal whose occurredAt was rounded down',
      [
        released('r1', 'du_uni', '2026-01-05T10:00:00.600Z'),
        withdrawn('w1', '2026-01-05T10:00:00Z', { recordedAt: '2026-01-05T10:00:01.100Z' }),
      ],
      ['du_uni'],
    ],
    [
      'a release recorded after the withdrawal, though dated before it (answered on its own)',
      [withdrawn('w1', 5), released('r1', 'du_uni', 4, { recordedAt: 6 })],
      [],
    ],
  ])('%s', (_name, events, expected) => {
    const s = foldEvents(ledger(...events));
    const w = s.facts.find((f) => f.kind === 'withdrawal')!;
    expect(holdersWithin(s, w.scope, profile, w.position)).toEqual(expected);
  });

  it('lists a holder once however many releases it received, and nothing for an empty state', () => {
    const twice = foldEvents(ledger(released('r1', 'du_uni', 1), released('r2', 'du_uni', 2)));
    expect(holdersWithin(twice, scope(), profile)).toEqual(['du_uni']);
    expect(holdersWithin(EMPTY_STATE, scope(), profile)).toEqual([]);
  });

  it('keeps releases in the state without changing decisions facts', () => {
    const s = foldEvents(ledger(given('c1', 0), released('r1', 'du_uni', 1), withdrawn('w1', 2)));
    expect(s.releases.map((r) => r.releaseId)).toEqual(['r1']);
    expect(s.facts.map((f) => f.kind)).toEqual(['consent', 'withdrawal']);
    expect(s.unresolved).toEqual([]);
  });
});

describe('releaseAfterRefusal: a release recorded while a covering withdrawal or national opt-out stood', () => {
  const research = scope({ purposes: ['research'] });
  it.each<[string, LedgerEvent[], string | undefined]>([
    [
      'withdrawal, then a release',
      [given('c1', 0), effective('c1', 14), withdrawn('w1', 20), releasedBy('r1', 'du_uni', 21)],
      'w1',
    ],
    [
      'a release, then the withdrawal (a holder, not a violation)',
      [releasedBy('r1', 'du_uni', 21), withdrawn('w1', 22)],
      undefined,
    ],
    [
      'a late paper withdrawal entered after the release it predates (a holder)',
      [releasedBy('r1', 'du_uni', 21), withdrawn('w1', 19, { recordedAt: 22 })],
      undefined,
    ],
    [
      'a release dated before the withdrawal but recorded after it',
      [withdrawn('w1', 20), releasedBy('r1', 'du_uni', 19, { recordedAt: 21 })],
      'w1',
    ],
    [
      'a withdrawal of research only, a release for AI training',
      [withdrawn('w1', 20, { scope: research }), releasedBy('r1', 'du_uni', 21, { purpose: 'ai-training' })],
      undefined,
    ],
    [
      'a withdrawal of research only, a release for research',
      [withdrawn('w1', 20, { scope: research }), releasedBy('r1', 'du_uni', 21)],
      'w1',
    ],
    [
      'a withdrawal for commercial users, a release to an academic one',
      [withdrawn('w1', 20, { scope: scope({ dataUserCategories: ['commercial'] }) }), releasedBy('r1', 'du_uni', 21)],
      undefined,
    ],
    [
      'a withdrawal for commercial users, a release to a data user the registry does not know (fail closed)',
      [
        withdrawn('w1', 20, { scope: scope({ dataUserCategories: ['commercial'] }) }),
        releasedBy('r1', 'du_stranger', 21),
      ],
      'w1',
    ],
    [
      'a national opt-out, then a release',
      [optOut('o1', 20, { national: true }), releasedBy('r1', 'du_uni', 21)],
      'o1',
    ],
    [
      'a national opt-out revoked before the release',
      [optOut('o1', 20, { national: true }), optOutRevoked('o1', 21), releasedBy('r1', 'du_uni', 22)],
      undefined,
    ],
    [
      'a national opt-out revoked only after the release',
      [optOut('o1', 20, { national: true }), releasedBy('r1', 'du_uni', 21), optOutRevoked('o1', 22)],
      'o1',
    ],
    [
      'a local opt-out, then a release (not a withdrawal or national opt-out)',
      [optOut('o1', 20, { scope: research }), releasedBy('r1', 'du_uni', 21)],
      undefined,
    ],
    [
      'a withdrawal, then a new consent effective before the release (lawful)',
      [withdrawn('w1', 20), given('c2', 21), effective('c2', 35), releasedBy('r1', 'du_uni', 36)],
      undefined,
    ],
    [
      'a withdrawal, then a new consent still in its cooling-off at the release',
      [withdrawn('w1', 20), given('c2', 21), releasedBy('r1', 'du_uni', 22), effective('c2', 35)],
      'w1',
    ],
    [
      'two withdrawals: the decision names the newest',
      [withdrawn('w1', 20), withdrawn('w2', 21), releasedBy('r1', 'du_uni', 22)],
      'w2',
    ],
  ])('%s', (_name, events, refusal) => {
    const s = foldEvents(ledger(...events));
    const found =
      releaseAfterRefusal(s, 'r1.du_uni', profile, policies) ??
      releaseAfterRefusal(s, 'r1.du_stranger', profile, policies);
    expect(found?.refusal.eventId).toBe(refusal);
    if (found) {
      expect(found.release).toMatchObject({ releaseId: 'r1', releasedBy: 'org:uclh' });
      expect(found.refusal.kind).toBe(refusal!.startsWith('o') ? 'national-opt-out' : 'withdrawal');
      expect(found.refusal.recordedBy).toBe('org:rxh');
    }
  });

  it('answers from the records before the release only (the state may have moved on)', () => {
    const events = [withdrawn('w1', 20), releasedBy('r1', 'du_uni', 21)];
    const now = foldEvents(ledger(...events));
    const later = foldEvents(
      ledger(...events, given('c2', 22), effective('c2', 36), optOut('o1', 40, { national: true })),
    );
    expect(releaseAfterRefusal(later, 'r1.du_uni', profile, policies)).toEqual(
      releaseAfterRefusal(now, 'r1.du_uni', profile, policies),
    );
  });

  it('lists every such release of a subject in ledger order; an unknown release id is none', () => {
    const s = foldEvents(
      ledger(
        releasedBy('r0', 'du_uni', 1),
        withdrawn('w1', 20),
        releasedBy('r2', 'du_co', 22),
        releasedBy('r1', 'du_uni', 21),
      ),
    );
    expect(releasesAfterRefusal(s, profile, policies).map((v) => v.release.eventId)).toEqual(['r2.du_co', 'r1.du_uni']);
    expect(releaseAfterRefusal(s, 'nope', profile, policies)).toBeUndefined();
  });
});

// --- the property --------------------------------------------------------------------------------

const USERS = ['du_uni', 'du_nhs', 'du_co', 'du_stranger'] as const;
const arbRelease = fc.record({
  user: fc.constantFrom(...USERS),
  at: fc.integer({ min: 0, max: 40 }),
  lag: fc.constantFrom(0, 0, 3, 40),
  purpose: fc.constantFrom(...PURPOSES),
  dataCategories: fc.subarray([...DATA_CATEGORIES], { minLength: 1 }),
});
/** A subject's ledger (fold.ts's generator) with releases put in at random places of ledger order. */
const arbLedgerWithReleases = fc
  .tuple(
    arbLedger,
    fc.array(fc.tuple(fc.nat(), arbRelease), { maxLength: 6 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 40 }), arbScope), { maxLength: 2 }),
  )
  .map(([records, releases, extraWithdrawals]) => {
    const events: LedgerEvent[] = records.map((r) => r.event);
    extraWithdrawals.forEach(([where, at, s], i) =>
      events.splice(where % (events.length + 1), 0, withdrawn(`wx${i}`, at, { scope: s })),
    );
    releases.forEach(([where, r], i) =>
      events.splice(
        where % (events.length + 1),
        0,
        released(`r${i}`, r.user, r.at, {
          recordedAt: (r.at + r.lag) as Time,
          purpose: r.purpose,
          dataCategories: r.dataCategories,
        }),
      ),
    );
    return ledger(...events);
  });

/** Oracle: whether the ledger, as recorded just before the release, permitted every use of it within `s`
 *  (decide, at the release's recording time). */
function permittedWhenRecorded(state: SubjectState, releaseEventId: string, s: Scope): boolean {
  const r = state.records.find((x) => x.event.id === releaseEventId)!;
  if (r.event.type !== 'release.recorded') return false;
  const before = foldEvents(state.records.filter((x) => comparePosition(x.position, r.position) < 0));
  const p = profile(r.event.data.dataUserId);
  const { purpose, dataCategories } = r.event.data;
  const uses = dataCategories.flatMap((dataCategory) =>
    (p ? [p.category] : DATA_USER_CATEGORIES).flatMap((dataUserCategory) =>
      (p ? [p.jurisdiction] : JURISDICTIONS).map((jurisdiction) => ({
        purpose,
        dataCategory,
        dataUserCategory,
        jurisdiction,
      })),
    ),
  );
  return uses.every(
    (point) => !covers(s, point) || consentDecision(before, point, policies, r.event.time).decision === 'permit',
  );
}

describe('property: no subject released to a data user within a withdrawn scope ends without a notice to it', () => {
  it(
    'each such release is answered: by the withdrawal (recorded before it) or as a release after refusal — unless the ' +
      'ledger permitted it when it was recorded',
    () => {
      fc.assert(
        fc.property(arbLedgerWithReleases, (records) => {
          const state = foldEvents(records);
          const flagged = new Map(releasesAfterRefusal(state, profile, policies).map((v) => [v.release.eventId, v]));
          for (const w of state.facts) {
            if (w.kind !== 'withdrawal') continue;
            const holders = holdersWithin(state, w.scope, profile, w.position);
            for (const r of state.records) {
              if (r.event.type !== 'release.recorded') continue;
              if (!releaseWithin({ ...r, event: r.event }, w.scope, profile)) continue;
              const du = r.event.data.dataUserId;
              const before = comparePosition(r.position, w.position) < 0;
              const answered = before
                ? holders.includes(du)
                : flagged.get(r.event.id)?.release.dataUserId === du ||
                  permittedWhenRecorded(state, r.event.id, w.scope);
              if (!answered) return false;
            }
          }
          return true;
        }),
        { numRuns: 400 },
      );
    },
  );

  it('a release is flagged only after a covering refusal recorded before it, and never when the ledger permitted it', () => {
    fc.assert(
      fc.property(arbLedgerWithReleases, (records) => {
        const state = foldEvents(records);
        return releasesAfterRefusal(state, profile, policies).every(
          (v) =>
            comparePosition(v.refusal.position, v.release.position) < 0 &&
            !permittedWhenRecorded(state, v.release.eventId, v.refusal.scope),
        );
      }),
      { numRuns: 400 },
    );
  });
});
