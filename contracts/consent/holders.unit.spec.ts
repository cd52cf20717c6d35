// Who holds a subject's data within a withdrawn scope: what withdrawal propagation notifies.
import { describe, expect, it } from 'vitest';
import { EMPTY_STATE, foldEvents, holdersWithin, type HolderProfile } from './fold.js';
import { given, ledger, released, scope, withdrawn } from './fixtures.js';

const profiles: Record<string, HolderProfile> = {
  du_uni: { category: 'academic', jurisdiction: 'uk' },
  du_nhs: { category: 'nhs', jurisdiction: 'uk' },
  du_co: { category: 'commercial', jurisdiction: 'international' },
};
const profile = (id: string) => profiles[id];

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

  it('counts only releases up to the given moment', () => {
    expect(holdersWithin(state, scope(), profile, '2026-01-02T12:00:00Z')).toEqual(['du_uni']);
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
