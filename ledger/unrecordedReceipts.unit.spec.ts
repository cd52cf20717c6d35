import { describe, expect, it } from 'vitest';
import { given } from '../contracts/consent/fixtures.js';
import { RECENT_RECEIPTS, UnrecordedReceipts, type UnrecordedReceipt } from './unrecordedReceipts.js';

const receipt = (id: string, offset = 0): UnrecordedReceipt => ({
  claim: { eventId: id, source: 'org:rxh', contentHash: `h-${id}` },
  position: {
    eventId: id,
    topic: 'ledger',
    partition: 0,
    offset: String(offset),
    hash: 'x',
    recordedAt: '2026-01-01T00:00:00Z',
  },
  event: given(id, 0),
});

describe('UnrecordedReceipts', () => {
  it('follows an id from claim to written to recorded, and still answers for it afterwards', () => {
    const u = new UnrecordedReceipts();
    const r = receipt('e-1', 7);
    u.claim(r.claim);
    expect(u.lookup('e-1')).toMatchObject({ kind: 'writing' });
    expect(u.size).toBe(1);
    u.wrote(r);
    expect(u.lookup('e-1')).toMatchObject({ kind: 'written', position: { offset: '7' } });
    expect(u.pending(10).map((x) => x.claim.eventId)).toEqual(['e-1']);
    u.recorded(['e-1']);
    expect(u.pending(10)).toEqual([]);
    expect(u.size).toBe(0);
    expect(u.lookup('e-1')).toMatchObject({ kind: 'written', position: { offset: '7' } }); // remembered
    expect(u.lookup('e-1')).toEqual({ kind: 'written', ...r }); // the event too, from its JSON text
  });

  it('a released claim is forgotten', () => {
    const u = new UnrecordedReceipts();
    u.claim(receipt('e-1').claim);
    u.release('e-1');
    expect(u.lookup('e-1')).toBeUndefined();
  });

  it(`remembers the last ${RECENT_RECEIPTS} recorded receipts, and not many more`, () => {
    const u = new UnrecordedReceipts();
    const total = 2 * RECENT_RECEIPTS;
    for (let i = 0; i < total; i++) u.remember(receipt(`e-${i}`));
    expect(u.lookup('e-0')).toBeUndefined();
    expect(u.lookup(`e-${Math.floor(RECENT_RECEIPTS / 2)}`)).toBeUndefined();
    for (const i of [total - RECENT_RECEIPTS, total - 2, total - 1]) expect(u.lookup(`e-${i}`)).toBeDefined();
  });
});
