import { describe, expect, it } from 'vitest';
import { FULL_SCOPE, ScopeSchema, duoForScope, isFullScope, type Scope } from './vocabulary.js';
import { issuesToProblems } from './problems.js';

const scope = (over: Partial<Record<keyof Scope, unknown>>): Record<keyof Scope, unknown> => ({
  ...FULL_SCOPE,
  ...over,
});
const typed = (over: Partial<Scope>): Scope => ({ ...FULL_SCOPE, ...over });
const fields = (input: unknown) => {
  const r = ScopeSchema.safeParse(input);
  return r.success ? [] : issuesToProblems(r.error.issues).map((p) => p.field);
};

describe('Scope', () => {
  it.each<[string, unknown]>([
    ['all *', FULL_SCOPE],
    [
      'lists in every dimension',
      {
        purposes: ['research'],
        dataCategories: ['ehr', 'imaging'],
        dataUserCategories: ['nhs'],
        jurisdictions: ['uk', 'eu'],
      },
    ],
    [
      'every purpose listed',
      scope({ purposes: ['research', 'ai-training', 'ai-validation', 'service-planning', 'product-development'] }),
    ],
  ])('accepts %s', (_name, input) => expect(fields(input)).toEqual([]));

  it.each<[string, unknown, string[]]>([
    ['an empty list', scope({ purposes: [] }), ['/purposes']],
    ['a duplicate', scope({ dataCategories: ['ehr', 'genomics', 'ehr'] }), ['/dataCategories/2']],
    ['an unknown value', scope({ jurisdictions: ['uk', 'us'] }), ['/jurisdictions/1']],
    ['* inside a list', scope({ purposes: ['*'] }), ['/purposes/0']],
    ['a bare value', scope({ dataUserCategories: 'nhs' }), ['/dataUserCategories']],
    ['null', scope({ purposes: null }), ['/purposes']],
    ['a missing dimension', { purposes: '*', dataCategories: '*', dataUserCategories: '*' }, ['/jurisdictions']],
    ['an extra dimension', { ...FULL_SCOPE, regions: '*' }, ['/regions']],
  ])('rejects %s', (_name, input, expected) => expect(fields(input)).toEqual(expected));

  it('knows the full scope', () => {
    expect(isFullScope(FULL_SCOPE)).toBe(true);
    expect(isFullScope({ ...FULL_SCOPE, jurisdictions: ['uk', 'eu', 'international'] })).toBe(false);
  });
});

describe('duoForScope (advisory DUO codes)', () => {
  it('everything → GRU + HMB, no modifiers', () => {
    expect(duoForScope(FULL_SCOPE)).toEqual({ permissions: ['DUO:0000006', 'DUO:0000042'], modifiers: [] });
  });

  it('NHS/academic research only, UK → not-for-profit non-commercial, no methods, geographic', () => {
    expect(
      duoForScope({
        purposes: ['research'],
        dataCategories: '*',
        dataUserCategories: ['nhs', 'academic'],
        jurisdictions: ['uk'],
      }),
    ).toEqual({ permissions: ['DUO:0000042'], modifiers: ['DUO:0000015', 'DUO:0000018', 'DUO:0000022'] });
  });

  it('commercial users but no product development → non-commercial use only', () => {
    expect(duoForScope(typed({ purposes: ['research', 'ai-training'] })).modifiers).toEqual(['DUO:0000046']);
  });

  it('product development by non-commercial users only → not-for-profit organisations only', () => {
    expect(duoForScope(typed({ dataUserCategories: ['academic'] })).modifiers).toEqual(['DUO:0000045']);
  });
});
