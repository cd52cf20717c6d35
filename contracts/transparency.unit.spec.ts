import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_SET } from './consent/policy.js';
import { foldEvents, recordedBy } from './consent/fold.js';
import type { DataUserRecord } from './consent/dataUsers.js';
import * as f from './consent/fixtures.js';
import { SubjectTransparency, subjectTransparency } from './transparency.js';

const record = (id: string, name: string): DataUserRecord => ({
  ...f.dataUser(id, 'academic', 'uk'),
  name,
  registeredAt: f.day(0),
  eventIds: [],
});

describe('the person’s view', () => {
  const state = foldEvents(
    f.ledger(
      f.given('c1', 1),
      f.effective('c1', 8),
      f.released('r1', 'du_a', 10),
      f.released('r2', 'du_b', 11),
      f.released('r3', 'du_c', 11),
      f.released('r4', 'du_d', 11),
      f.withdrawn('w1', 20),
      f.revocationSent('w1', 'du_a', 20),
      f.revocationSent('w1', 'du_b', 20),
      f.revocationSent('w1', 'du_c', 20),
      f.revocationSent('w1', 'du_d', 20),
      f.revocationAcknowledged('w1', 'du_a', 21, {
        attestation: { action: 'deleted', performedAt: f.day(21), performedBy: { role: 'data-custodian' } },
      }),
      f.revocationAcknowledged('w1', 'du_b', 22, {
        attestation: {
          action: 'retained',
          retained: 'trained-model',
          legalBasis: 'research-impossible-without',
          performedAt: f.day(22),
          performedBy: { role: 'data-protection-officer' },
        },
      }),
      f.revocationAcknowledged('w1', 'du_c', 22, { attestation: null }),
    ),
  );
  const view = subjectTransparency({
    state,
    dataUsers: new Map([['du_a', record('du_a', 'Alpha University')]]),
    reads: [{ at: f.day(30), reader: 'org:rxh', role: 'hospital', what: 'consent', why: 'direct-care' }],
    policies: DEFAULT_POLICY_SET,
    now: f.day(60),
  });

  it('matches its public model', () => {
    expect(SubjectTransparency.parse(view)).toEqual(view);
  });

  it('lists every release with the data user’s name, category, jurisdiction and approval reference', () => {
    expect(view.releases[0]).toMatchObject({
      dataUserName: 'Alpha University',
      dataUserCategory: 'academic',
      jurisdiction: 'uk',
      approvalReference: 'REF du_a research',
      purpose: 'research',
    });
    expect(view.releases).toHaveLength(4);
  });

  it('each holder of a withdrawal: attested deleted, retained with basis, without attestation, overdue', () => {
    expect(view.withdrawals[0]!.holders.map((h) => [h.dataUserId, h.status])).toEqual([
      ['du_a', 'attested-deleted'],
      ['du_b', 'retained-with-basis'],
      ['du_c', 'acknowledged-without-attestation'],
      ['du_d', 'overdue'],
    ]);
    expect(view.withdrawals[0]!.status).toBe('overdue');
  });

  it('the choices in words, with the decision now and the reasons of a denial', () => {
    expect(view.choices.map((c) => [c.kind, c.now.decision])).toEqual([
      ['consent', 'deny'],
      ['withdrawal', 'deny'],
    ]);
    expect(view.choices[1]!.now.reasons[0]!.code).toBe('withdrawn');
    expect(view.choices[0]!.summary).toMatch(/^You agreed to the use of your data for any purpose/);
    expect(view.reads).toEqual([
      { at: f.day(30), reader: 'org:rxh', role: 'hospital', what: 'consent', why: 'direct-care' },
    ]);
  });

  it('recordedBy names the organisations, not the ledger components', () => {
    expect(recordedBy(state)).toEqual(['org:rxh']);
  });
});
