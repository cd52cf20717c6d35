import { describe, expect, it } from 'vitest';
import { CohortParser, CohortSyntaxError } from './cohortParser.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `sub_cohort${String(i).padStart(10, '0')}`);
const parseAll = (chunks: string[], max = 100) => {
  const p = new CohortParser(max);
  const out = chunks.flatMap((c) => p.push(c));
  p.end();
  return out;
};
const problemOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CohortSyntaxError) return e.problem;
    throw e;
  }
  throw new Error('expected a CohortSyntaxError');
};

describe('cohort parser (JSON array of subject ids, streamed)', () => {
  it('parses an array whatever the chunk boundaries', () => {
    const text = JSON.stringify(ids(7), null, 1);
    for (const size of [1, 2, 5, 13, text.length]) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
        text.slice(i * size, (i + 1) * size),
      );
      expect(parseAll(chunks)).toEqual(ids(7));
    }
  });
  it('accepts an empty array', () => {
    expect(parseAll([' [ ] '])).toEqual([]);
  });
  it('names the index of a malformed id without echoing it', () => {
    const p = problemOf(() => parseAll([JSON.stringify([...ids(2), '9434765919'])]));
    expect(p.field).toBe('/2');
    expect(p.message).not.toContain('9434765919');
  });
  it('refuses non-strings, objects, trailing commas, truncated bodies and extra content', () => {
    expect(problemOf(() => parseAll(['{"subjects":[]}'])).field).toBe('');
    expect(problemOf(() => parseAll([`["${ids(1)[0]!}", 5]`])).field).toBe('/1');
    expect(problemOf(() => parseAll([`["${ids(1)[0]!}",]`])).field).toBe('/1');
    expect(problemOf(() => parseAll([`["${ids(1)[0]!}"`])).field).toBe('/1');
    expect(problemOf(() => parseAll([`[] []`])).field).toBe('');
    expect(problemOf(() => parseAll([''])).field).toBe('');
  });
  it('refuses an escaped string (no subject id needs one) and an over-long one without buffering it', () => {
    expect(problemOf(() => parseAll(['["sub_abcdefghijklmnop\\"q"]'])).field).toBe('/0');
    const p = new CohortParser(10);
    p.push('["sub_');
    expect(() => p.push('x'.repeat(100))).toThrow(CohortSyntaxError);
  });
  it('enforces the cohort cap', () => {
    expect(problemOf(() => parseAll([JSON.stringify(ids(4))], 3)).message).toContain('at most 3');
  });
});
