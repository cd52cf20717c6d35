// Property (issue 6): the safety invariant the whole system exists for — once a withdrawal covering
// everything has occurred after every other event of a subject, no decision for that subject permits,
// whatever came before, whatever the policy, in any arrival order, and stateAsOf before it is unaffected.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dataUserDenial, decide } from './decide.js';
import { foldEvents, stateAsOf } from './fold.js';
import * as b from './fixtures.js';
import { recordedUnder, arbLedger, arbPolicy, arbRequest } from './ledger.arbitrary.js';
import { FULL_SCOPE } from './vocabulary.js';
import type { PositionedEvent } from './order.js';

// Generated events occur on days 0-40 and are recorded by day 80 (ledger.arbitrary.ts).
const WITHDRAWN_ON = 41;
const RECORDED_ON = 81;
const withdrawalAfterAll = (records: PositionedEvent[]): PositionedEvent[] => [
  ...records,
  {
    event: b.withdrawn('w-final', WITHDRAWN_ON, { scope: FULL_SCOPE, recordedAt: RECORDED_ON }),
    position: { partition: 0, offset: String(records.length) },
  },
];
const arbLater = fc.integer({ min: 0, max: 60 }).map((n) => b.day(RECORDED_ON + n));

describe('withdrawal dominates (property)', () => {
  it('a full-scope withdrawal after everything else: every decision denies, naming it', () => {
    fc.assert(
      fc.property(arbLedger, arbRequest, arbPolicy, arbLater, (records, request, policy, now) => {
        fc.pre(request.subject === b.SUBJECT && request.dataUser !== undefined);
        const state = foldEvents(withdrawalAfterAll(records));
        const d = decide(state, request, recordedUnder(policy), now);
        expect(d.decision).toBe('deny');
        // The withdrawal is named, unless something that refuses regardless came first (the data user's own
        // approval, a national opt-out).
        const national = state.facts.some((f) => f.kind === 'opt-out' && f.national && !f.revoked);
        if (!national && dataUserDenial(request.dataUser, request.purpose, policy, now) === undefined) {
          expect(d.reasons.map((r) => r.code)).toContain('withdrawn');
          expect(d.eventIds).toContain('w-final');
        }
      }),
    );
  });

  it('in any arrival order', () => {
    const withShuffle = arbLedger
      .map(withdrawalAfterAll)
      .chain((records) =>
        fc.tuple(
          fc.constant(records),
          fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }),
        ),
      );
    fc.assert(
      fc.property(withShuffle, arbRequest, arbPolicy, arbLater, ([, shuffled], request, policy, now) => {
        fc.pre(request.subject === b.SUBJECT);
        expect(decide(foldEvents(shuffled), request, recordedUnder(policy), now).decision).toBe('deny');
      }),
    );
  });

  it('as of an instant before it was recorded, the state is what it was without it', () => {
    fc.assert(
      fc.property(arbLedger, (records) => {
        const before = b.day(RECORDED_ON - 0.5);
        expect(stateAsOf(withdrawalAfterAll(records), before)).toEqual(stateAsOf(records, before));
      }),
    );
  });
});
