// The data-user registry fold.
import { describe, expect, it } from 'vitest';
import { evolveDataUser, type DataUserRecord } from './dataUsers.js';
import { EXAMPLE_EVENTS } from './examples.js';

const registered = EXAMPLE_EVENTS['dataUser.registered'];
const approved = EXAMPLE_EVENTS['dataUser.approved'];

describe('evolveDataUser', () => {
  it('registration then approval gives a data user with both approvals', () => {
    const s = evolveDataUser(evolveDataUser(undefined, registered), approved)!;
    expect(s).toMatchObject({
      id: 'du_uni-example',
      category: 'academic',
      jurisdiction: 'uk',
      registeredAt: registered.data.occurredAt,
    });
    expect(s.approvals.map((a) => a.purpose)).toEqual(['research', 'ai-validation']);
    expect(s.eventIds).toEqual([registered.id, approved.id]);
  });

  it('re-applying an event changes nothing', () => {
    const once = evolveDataUser(evolveDataUser(undefined, registered), approved)!;
    expect(evolveDataUser(once, approved)).toBe(once);
    expect(evolveDataUser(once, registered)).toBe(once);
  });

  it('an approval before any registration is ignored', () => {
    expect(evolveDataUser(undefined, approved)).toBeUndefined();
  });

  it('a re-registration corrects details and keeps approvals', () => {
    const first: DataUserRecord = evolveDataUser(undefined, registered)!;
    const again = {
      ...registered,
      id: 'du-reg-2',
      data: { ...registered.data, name: 'Renamed', category: 'nhs' as const, approvals: [] },
    };
    const s = evolveDataUser(first, again)!;
    expect(s).toMatchObject({ name: 'Renamed', category: 'nhs', registeredAt: registered.data.occurredAt });
    expect(s.approvals).toHaveLength(1);
  });
});
