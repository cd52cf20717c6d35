import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FactsTable } from './factsTable.js';

type Op = { kind: 'set'; key: string; value: string } | { kind: 'delete'; key: string };

// Few distinct keys so that sets, overwrites and deletes of the same key (and long probe runs after
// growth) all happen; a Map is the reference.
const key = fc.integer({ min: 0, max: 60 }).map((n) => `sub_${'k'.repeat(n % 7)}${n}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value: fc.string() }),
  fc.record({ kind: fc.constant('delete' as const), key }),
);

describe('FactsTable: answers as a Map would', () => {
  it('after any sequence of sets and deletes, every key gets what a Map gives', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 0, max: 64 }), (ops, expected) => {
        const table = new FactsTable(expected);
        const reference = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === 'set') {
            table.set(o.key, o.value);
            reference.set(o.key, o.value);
          } else expect(table.delete(o.key)).toBe(reference.delete(o.key));
        }
        expect(table.size).toBe(reference.size);
        for (let n = 0; n <= 60; n++) {
          const k = `sub_${'k'.repeat(n % 7)}${n}`;
          expect(table.get(k)).toBe(reference.get(k));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds keys built from other strings (slices of a request body) and misses unknown ones', () => {
    const table = new FactsTable();
    for (let i = 0; i < 5000; i++) table.set(`sub_cohort${String(i).padStart(9, '0')}`, `facts ${i}`);
    const body = `["sub_cohort000004999","sub_cohort000005000"]`;
    expect(table.get(body.slice(2, 21))).toBe('facts 4999');
    expect(table.get(body.slice(24, 43))).toBeUndefined();
    expect(table.size).toBe(5000);
  });
});
