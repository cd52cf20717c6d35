// Which withdrawal / opt-out cancels a consent in cooling-off (what the dispatcher signals and the
// cooling-off workflow re-checks before it writes consent.effective).
import { describe, expect, it } from 'vitest';
import { cancellationOf, consentsCancelledBy, scopeWithin } from './cancellation.js';
import { foldEvents } from './fold.js';
import { cancelled, effective, given, ledger, optOut, scope, withdrawn } from './fixtures.js';

const research = scope({ purposes: ['research'] });
const researchAndAi = scope({ purposes: ['research', 'ai-training'] });

describe('scopeWithin', () => {
  it.each([
    [research, scope(), true],
    [scope(), research, false],
    [research, researchAndAi, true],
    [researchAndAi, research, false],
    [scope({ purposes: ['research'], jurisdictions: ['uk'] }), research, true],
  ])('%j within %j → %s', (inner, outer, expected) => {
    expect(scopeWithin(inner, outer)).toBe(expected);
  });
});

describe('cancellationOf / consentsCancelledBy', () => {
  it('a later withdrawal covering the whole consent cancels it while pending', () => {
    const s = foldEvents(ledger(given('c1', 0, { scope: research }), withdrawn('w1', 3)));
    expect(cancellationOf(s, 'c1')).toEqual({
      consentId: 'c1',
      byEventId: 'w1',
      occurredAt: '2026-01-04T00:00:00Z',
      expressedBy: { role: 'person' },
    });
    expect(consentsCancelledBy(s, 'w1')).toEqual([cancellationOf(s, 'c1')]);
  });

  it('an opt-out cancels it too; a narrower refusal does not (it wins over the consent for its part in decide)', () => {
    expect(
      cancellationOf(foldEvents(ledger(given('c1', 0, { scope: research }), optOut('o1', 2))), 'c1')?.byEventId,
    ).toBe('o1');
    const narrow = foldEvents(
      ledger(given('c1', 0, { scope: researchAndAi }), withdrawn('w1', 2, { scope: research })),
    );
    expect(cancellationOf(narrow, 'c1')).toBeUndefined();
    expect(consentsCancelledBy(narrow, 'w1')).toEqual([]);
  });

  it('an effective, ended or unknown consent is not cancelled; nor by a refusal that came before it', () => {
    expect(
      cancellationOf(foldEvents(ledger(given('c1', 0), effective('c1', 14), withdrawn('w1', 20))), 'c1'),
    ).toBeUndefined();
    expect(
      cancellationOf(foldEvents(ledger(given('c1', 0), withdrawn('w1', 2), cancelled('c1', 2))), 'c1'),
    ).toBeUndefined();
    expect(cancellationOf(foldEvents(ledger(withdrawn('w1', 0), given('c1', 1))), 'c1')).toBeUndefined();
    expect(cancellationOf(foldEvents(ledger(given('c1', 0))), 'nope')).toBeUndefined();
  });

  it('a late-recorded consent that precedes a withdrawal in occurredAt is cancelled by it', () => {
    const s = foldEvents(ledger(withdrawn('w1', 5), given('c1', 1, { recordedAt: 6 })));
    expect(cancellationOf(s, 'c1')?.byEventId).toBe('w1');
  });

  it('the first covering refusal is the one that cancels; a second one cancels nothing new', () => {
    const s = foldEvents(ledger(given('c1', 0), given('c2', 1), withdrawn('w1', 2), optOut('o1', 3)));
    expect(consentsCancelledBy(s, 'w1').map((c) => c.consentId)).toEqual(['c1', 'c2']);
    expect(consentsCancelledBy(s, 'o1')).toEqual([]);
    expect(consentsCancelledBy(s, 'c1')).toEqual([]);
  });
});
