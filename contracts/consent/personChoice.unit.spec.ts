import { describe, expect, it } from 'vitest';
import { effective, given, ledger, optOut, parent, scope, withdrawn } from './fixtures.js';
import type { LedgerEvent } from './events.js';
import { foldEvents } from './fold.js';
import { personsLaterChoice } from './personChoice.js';

const PARENT = parent(100);
const childConsent = [given('c1', 0, { by: PARENT }), effective('c1', 14)];
const choiceAfter = (...events: LedgerEvent[]) => personsLaterChoice(foldEvents(ledger(...events)), 'c1');

describe('personsLaterChoice: the person’s own choice decides for a proxy’s consent', () => {
  it.each([
    { name: 'nothing since', later: [], then: undefined },
    { name: 'the person withdraws all of it', later: [withdrawn('w1', 120)], then: { eventId: 'w1', kind: 'refused' } },
    { name: 'the person opts out nationally', later: [optOut('x1', 120)], then: { eventId: 'x1', kind: 'refused' } },
    {
      name: 'a narrower withdrawal leaves the rest to reconfirm',
      later: [withdrawn('w1', 120, { scope: scope({ purposes: ['ai-training'] }) })],
      then: undefined,
    },
    { name: 'the parent withdraws (not the person)', later: [withdrawn('w1', 90, { by: PARENT })], then: undefined },
    {
      name: 'the person’s own consent that took effect',
      later: [given('o1', 110), effective('o1', 124)],
      then: { eventId: 'o1', kind: 'consented' },
    },
    { name: 'the person’s own consent still cooling off', later: [given('o1', 110)], then: undefined },
  ])('$name', ({ later, then }) => {
    const choice = choiceAfter(...childConsent, ...later);
    if (then === undefined) expect(choice).toBeUndefined();
    else expect(choice).toMatchObject(then);
  });

  it('a consent the person gave themselves has no proxy wait to end', () => {
    expect(personsLaterChoice(foldEvents(ledger(given('c1', 0), withdrawn('w1', 5))), 'c1')).toBeUndefined();
  });
});
