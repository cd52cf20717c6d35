import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scope } from './fixtures.js';
import { arbScope } from './ledger.arbitrary.js';
import { covers, intersects, type ScopePoint } from './scope.js';
import { DATA_CATEGORIES, DATA_USER_CATEGORIES, FULL_SCOPE, JURISDICTIONS, PURPOSES } from './vocabulary.js';

const point: ScopePoint = {
  purpose: 'research',
  dataCategory: 'ehr',
  dataUserCategory: 'academic',
  jurisdiction: 'uk',
};

describe('covers: every dimension must include the value (or be *)', () => {
  const cases = [
    { name: '* everywhere', scope: FULL_SCOPE, then: true },
    {
      name: 'all four listed',
      scope: scope({
        purposes: ['research'],
        dataCategories: ['ehr'],
        dataUserCategories: ['academic'],
        jurisdictions: ['uk'],
      }),
      then: true,
    },
    { name: 'purpose missing', scope: scope({ purposes: ['ai-training'] }), then: false },
    { name: 'data category missing', scope: scope({ dataCategories: ['genomics', 'imaging'] }), then: false },
    { name: 'data user category missing', scope: scope({ dataUserCategories: ['nhs'] }), then: false },
    { name: 'jurisdiction missing', scope: scope({ jurisdictions: ['eu', 'international'] }), then: false },
  ];
  it.each(cases)('$name → $then', ({ scope: s, then }) => expect(covers(s, point)).toBe(then));
});

describe('intersects', () => {
  it.each([
    { a: scope({ purposes: ['research'] }), b: scope({ dataUserCategories: ['commercial'] }), then: true },
    {
      a: scope({ dataUserCategories: ['nhs', 'academic'] }),
      b: scope({ dataUserCategories: ['commercial'] }),
      then: false,
    },
    { a: scope({ purposes: ['research', 'ai-training'] }), b: scope({ purposes: ['ai-training'] }), then: true },
  ])('$a.dataUserCategories/$a.purposes ∩ $b.dataUserCategories/$b.purposes → $then', ({ a, b, then }) => {
    expect(intersects(a, b)).toBe(then);
  });

  it('two scopes intersect exactly when some concrete use is covered by both', () => {
    const points = PURPOSES.flatMap((purpose) =>
      DATA_CATEGORIES.flatMap((dataCategory) =>
        DATA_USER_CATEGORIES.flatMap((dataUserCategory) =>
          JURISDICTIONS.map((jurisdiction) => ({ purpose, dataCategory, dataUserCategory, jurisdiction })),
        ),
      ),
    );
    fc.assert(
      fc.property(arbScope, arbScope, (a, b) => {
        expect(intersects(a, b)).toBe(points.some((p) => covers(a, p) && covers(b, p)));
      }),
    );
  });
});
