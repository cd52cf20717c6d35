// stateFingerprint / fieldsThatDiffer / lastOffset: what the projection writer stores and the replay recomputes.
import { describe, expect, it } from 'vitest';
import { effective, given, ledger, withdrawn } from './fixtures.js';
import { fieldsThatDiffer, lastOffset, stateFingerprint } from './fingerprint.js';
import { EMPTY_STATE, foldEvents } from './fold.js';

const state = foldEvents(ledger(given('c1', 1), effective('c1', 15), withdrawn('w1', 20)));

describe('state fingerprints', () => {
  it('survive the JSON round trip a document store makes, and equal states fingerprint equal', () => {
    const stored = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(stateFingerprint(stored)).toBe(stateFingerprint(state));
    expect(fieldsThatDiffer(stateFingerprint(stored), stateFingerprint(state))).toEqual([]);
  });

  it('name the field that differs', () => {
    const altered = { ...state, facts: [] };
    expect(fieldsThatDiffer(stateFingerprint(state), stateFingerprint(altered))).toEqual(['facts']);
    const fewer = foldEvents(ledger(given('c1', 1), effective('c1', 15)));
    expect(fieldsThatDiffer(stateFingerprint(state), stateFingerprint(fewer))).toEqual(
      expect.arrayContaining(['records', 'facts']),
    );
  });

  it('treat what is not a fingerprint as differing in every field', () => {
    expect(fieldsThatDiffer(stateFingerprint(state), 'bm90IGEgZmluZ2VycHJpbnQ=')).toHaveLength(5);
  });

  it('lastOffset is the highest offset of the records', () => {
    expect(lastOffset(state)).toBe('2');
    expect(lastOffset(EMPTY_STATE)).toBe('-1');
  });
});
