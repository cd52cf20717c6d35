// The consent lifecycle in virtual time on the DEFAULT policy (14-day cooling-off; acute capture: 28
// days, then 30 days to reconfirm, reminders 15 days and 1 day before the window closes; re-consent
// prompt 30 days before validUntil): real workflows and activities on Temporal's test server, the
// ledger in memory (test/virtualTime). Assertions are on what the ledger says — the events the
// workflow wrote and when they occurred — and on the decision a data user gets meanwhile, never on
// the workflow's internal phases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, type Decision } from '../contracts/consent/decide.js';
import { dataUser, given, parent, reconfirmed, withdrawn } from '../contracts/consent/fixtures.js';
import type { SubjectState } from '../contracts/consent/fold.js';
import { addDays, DEFAULT_POLICY, DEFAULT_POLICY_SET } from '../contracts/consent/policy.js';
import { PURPOSES } from '../contracts/consent/vocabulary.js';
import { startVirtualTime, subjectFor, workflowIds, type VirtualTime } from '../test/virtualTime/kit.js';

/** Within a minute of `at`: when an activity recorded something, or a test acted, in virtual time. */
const near = (at: string) => expect.toSatisfy((t: string) => Math.abs(Date.parse(t) - Date.parse(at)) < 60_000);
/** What the decision API answers a university researcher on this state at `now`. */
const research = (state: SubjectState, now: string): Decision =>
  decide(
    state,
    {
      subject: state.subject!,
      purpose: 'research',
      dataCategory: 'ehr',
      // Approved far ahead: the file's tests add up to years of virtual time from today's date.
      dataUser: dataUser('du_vt-uni', 'academic', 'uk', PURPOSES, '2200-01-01T00:00:00Z'),
    },
    DEFAULT_POLICY_SET,
    now,
  );

describe('coolingOff on the default policy, in virtual time', () => {
  let vt: VirtualTime;
  beforeAll(async () => {
    vt = await startVirtualTime();
  });
  afterAll(async () => {
    await vt.close();
  });
  const notificationsFor = (consentId: string) =>
    vt.notifications
      .sent()
      .filter((n) => n.consentId === consentId)
      .map(({ kind, dueBy, createdAt, organisation }) => ({ kind, dueBy, createdAt, organisation }));

  it('routine capture: consent.effective on day 14 (the date the denial promised), and nothing else', async () => {
    const subject = subjectFor('routine');
    const givenAt = await vt.now();
    await vt.record(given('vt-routine', givenAt, { subject }));
    const promised = research(vt.stateOf(subject), givenAt);
    expect(promised).toMatchObject({ decision: 'deny', effectiveFrom: addDays(givenAt, 14) });

    await vt.sleepUntil(addDays(givenAt, 13.9));
    expect(vt.events(subject, 'consent.effective')).toEqual([]);
    await vt.sleepUntil(addDays(givenAt, 14));
    await expect(vt.result(workflowIds.coolingOff('vt-routine'))).resolves.toBe('effective');

    const effective = vt.only(subject, 'consent.effective');
    expect(effective.data).toMatchObject({ consentId: 'vt-routine', occurredAt: addDays(givenAt, 14) });
    expect(effective.data.policyVersion).toBe(DEFAULT_POLICY.version);
    expect(effective.time).toEqual(near(addDays(givenAt, 14)));
    expect(vt.events(subject).map((e) => e.type)).toEqual(['consent.given', 'consent.effective']);
    expect(research(vt.stateOf(subject), await vt.now()).decision).toBe('permit');
  });

  it('a withdrawal on day 3 cancels: consent.cancelled on day 3, never effective', async () => {
    const subject = subjectFor('cancel');
    const givenAt = await vt.now();
    await vt.record(given('vt-cancel', givenAt, { subject }));
    await vt.sleepUntil(addDays(givenAt, 3));
    const withdrawnAt = await vt.now();
    await vt.record(withdrawn('vt-cancel-w', withdrawnAt, { subject }));

    await vt.sleepUntil(addDays(givenAt, 20)); // past the end of the cooling-off
    await expect(vt.result(workflowIds.coolingOff('vt-cancel'))).resolves.toBe('cancelled');
    expect(vt.only(subject, 'consent.cancelled').data).toMatchObject({
      consentId: 'vt-cancel',
      occurredAt: withdrawnAt,
    });
    expect(withdrawnAt).toEqual(near(addDays(givenAt, 3)));
    expect(vt.events(subject, 'consent.effective')).toEqual([]);
  });

  it('validUntil: effective on day 14, a re-consent prompt 30 days before validUntil, consent.expired at it', async () => {
    const subject = subjectFor('expiry');
    const givenAt = await vt.now();
    const validUntil = addDays(givenAt, 100);
    await vt.record(given('vt-expiry', givenAt, { subject, validUntil }));

    await vt.sleepUntil(addDays(givenAt, 69));
    expect(vt.only(subject, 'consent.effective').data.occurredAt).toBe(addDays(givenAt, 14));
    expect(notificationsFor('vt-expiry')).toEqual([]);
    await vt.sleepUntil(addDays(givenAt, 70));
    expect(notificationsFor('vt-expiry')).toEqual([
      { kind: 're-consent-prompt', dueBy: validUntil, createdAt: near(addDays(givenAt, 70)), organisation: 'org:rxh' },
    ]);
    expect(vt.events(subject, 'consent.expired')).toEqual([]);

    await vt.sleepUntil(validUntil);
    await expect(vt.result(workflowIds.coolingOff('vt-expiry'))).resolves.toBe('expired');
    const expired = vt.only(subject, 'consent.expired');
    expect(expired.data).toMatchObject({ consentId: 'vt-expiry', occurredAt: validUntil, validUntil });
    expect(expired.time).toEqual(near(validUntil));
    expect(notificationsFor('vt-expiry')).toHaveLength(1);
  });

  it('validUntil soon after the cooling-off: the prompt comes half way from effective to validUntil', async () => {
    const subject = subjectFor('expiry_short');
    const givenAt = await vt.now();
    const validUntil = addDays(givenAt, 40);
    await vt.record(given('vt-expiry-short', givenAt, { subject, validUntil }));

    await vt.sleepUntil(validUntil);
    await expect(vt.result(workflowIds.coolingOff('vt-expiry-short'))).resolves.toBe('expired');
    // Effective on day 14 with 26 days left: prompted 13 days before validUntil, on day 27.
    expect(notificationsFor('vt-expiry-short').map((n) => n.createdAt)).toEqual([near(addDays(givenAt, 27))]);
    expect(vt.only(subject, 'consent.expired').data.occurredAt).toBe(validUntil);
  });

  // A parent's consent for a child. The parent's authority ends on day 100 (the child's 16th birthday,
  // given by the hospital); from then the person has 90 days to reconfirm it themselves (the default
  // policy's personReconfirmation), the organisation told on day 100 and reminded on days 160 and 183.
  describe('a parent’s consent for a child', () => {
    it('without the person’s own reconfirmation: in force until day 190, consent.lapsed then', async () => {
      const subject = subjectFor('child_lapse');
      const givenAt = await vt.now();
      const birthday = addDays(givenAt, 100);
      await vt.record(given('vt-child-lapse', givenAt, { subject, by: parent(birthday) }));

      await vt.sleepUntil(addDays(givenAt, 99));
      expect(vt.only(subject, 'consent.effective').data.occurredAt).toBe(addDays(givenAt, 14));
      expect(notificationsFor('vt-child-lapse')).toEqual([]);
      await vt.sleepUntil(addDays(givenAt, 150));
      expect(research(vt.stateOf(subject), await vt.now()).decision).toBe('permit'); // still in force
      await vt.sleepUntil(addDays(givenAt, 189.9));
      expect(vt.events(subject, 'consent.lapsed')).toEqual([]);
      expect(research(vt.stateOf(subject), await vt.now()).decision).toBe('permit');

      await vt.sleepUntil(addDays(givenAt, 190));
      await expect(vt.result(workflowIds.coolingOff('vt-child-lapse'))).resolves.toBe('lapsed');
      const lapsed = vt.only(subject, 'consent.lapsed');
      expect(lapsed.data).toMatchObject({ consentId: 'vt-child-lapse', occurredAt: addDays(givenAt, 190) });
      expect(lapsed.time).toEqual(near(addDays(givenAt, 190)));
      expect(research(vt.stateOf(subject), await vt.now())).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'lapsed' }],
      });
      const told = notificationsFor('vt-child-lapse');
      expect(told.map((n) => n.kind)).toEqual(Array(3).fill('person-reconfirmation-reminder'));
      expect(told.map((n) => n.createdAt)).toEqual([100, 160, 183].map((d) => near(addDays(givenAt, d))));
      expect(told.map((n) => n.dueBy)).toEqual(Array(3).fill(addDays(givenAt, 190)));
    });

    it('the person reconfirms it on day 120: it stays effective (no lapse, no more reminders)', async () => {
      const subject = subjectFor('child_keep');
      const givenAt = await vt.now();
      await vt.record(given('vt-child-keep', givenAt, { subject, by: parent(addDays(givenAt, 100)) }));
      await vt.sleepUntil(addDays(givenAt, 120));
      await vt.record(reconfirmed('vt-child-keep', await vt.now(), { subject }));

      await vt.sleepUntil(addDays(givenAt, 300));
      await expect(vt.result(workflowIds.coolingOff('vt-child-keep'))).resolves.toBe('effective');
      expect(vt.events(subject).map((e) => e.type)).toEqual([
        'consent.given',
        'consent.effective',
        'consent.reconfirmed',
      ]);
      expect(research(vt.stateOf(subject), await vt.now())).toMatchObject({
        decision: 'permit',
        reasons: [{ code: 'consent-effective' }],
      });
      expect(notificationsFor('vt-child-keep').map((n) => n.createdAt)).toEqual([near(addDays(givenAt, 100))]);
    });

    it('the person withdraws on day 120: no more reminders and no lapse (their own choice decides)', async () => {
      const subject = subjectFor('child_withdraws');
      const givenAt = await vt.now();
      await vt.record(given('vt-child-withdraws', givenAt, { subject, by: parent(addDays(givenAt, 100)) }));
      await vt.sleepUntil(addDays(givenAt, 120));
      await vt.record(withdrawn('vt-child-withdraws-w', await vt.now(), { subject }));

      await vt.sleepUntil(addDays(givenAt, 200));
      await expect(vt.result(workflowIds.coolingOff('vt-child-withdraws'))).resolves.toBe('effective');
      expect(vt.events(subject, 'consent.lapsed')).toEqual([]);
      expect(notificationsFor('vt-child-withdraws').map((n) => n.createdAt)).toEqual([near(addDays(givenAt, 100))]);
      expect(research(vt.stateOf(subject), await vt.now()).decision).toBe('deny');
    });

    it('the person consents themselves on day 110: the parent’s consent is replaced, no reminders after, no lapse', async () => {
      const subject = subjectFor('child_own');
      const givenAt = await vt.now();
      await vt.record(given('vt-child-proxy', givenAt, { subject, by: parent(addDays(givenAt, 100)) }));
      await vt.sleepUntil(addDays(givenAt, 110));
      await vt.record(given('vt-child-own', await vt.now(), { subject }));

      await vt.sleepUntil(addDays(givenAt, 200));
      await expect(vt.result(workflowIds.coolingOff('vt-child-proxy'))).resolves.toBe('effective');
      await expect(vt.result(workflowIds.coolingOff('vt-child-own'))).resolves.toBe('effective');
      expect(vt.events(subject, 'consent.lapsed')).toEqual([]);
      expect(notificationsFor('vt-child-proxy').map((n) => n.createdAt)).toEqual([near(addDays(givenAt, 100))]);
      expect(research(vt.stateOf(subject), await vt.now())).toMatchObject({ decision: 'permit' });
    });

    it('the parent reconfirming before the birthday does not count: lapsed on day 190', async () => {
      const subject = subjectFor('child_parent');
      const givenAt = await vt.now();
      const by = parent(addDays(givenAt, 100));
      await vt.record(given('vt-child-parent', givenAt, { subject, by }));
      await vt.sleepUntil(addDays(givenAt, 95));
      await vt.record(reconfirmed('vt-child-parent', await vt.now(), { subject, by }));
      await vt.sleepUntil(addDays(givenAt, 190));
      await expect(vt.result(workflowIds.coolingOff('vt-child-parent'))).resolves.toBe('lapsed');
      expect(vt.only(subject, 'consent.lapsed').data.occurredAt).toBe(addDays(givenAt, 190));
    });
  });

  // Acute / emergency capture. Only a reconfirmation made after the 28-day cooling-off counts.
  describe('acute capture', () => {
    it('reconfirmed on day 10 (too early) and never again: lapsed on day 58, reminded on days 43 and 57', async () => {
      const subject = subjectFor('acute_lapse');
      const givenAt = await vt.now();
      await vt.record(given('vt-acute-lapse', givenAt, { subject, setting: 'emergency' }));
      await vt.sleepUntil(addDays(givenAt, 10));
      const early = reconfirmed('vt-acute-lapse', await vt.now(), { subject });
      await vt.record(early);
      // Too early to count: the denial names the window and promises no date.
      const denial = research(vt.stateOf(subject, early.id), early.data.occurredAt);
      expect(denial).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'awaiting-reconfirmation' }],
        reconfirmFrom: addDays(givenAt, 28),
        reconfirmBy: addDays(givenAt, 58),
      });
      expect(denial.effectiveFrom).toBeUndefined();

      await vt.sleepUntil(addDays(givenAt, 57.9));
      expect(vt.events(subject, 'consent.lapsed', 'consent.effective')).toEqual([]);
      await vt.sleepUntil(addDays(givenAt, 58));
      await expect(vt.result(workflowIds.coolingOff('vt-acute-lapse'))).resolves.toBe('lapsed');
      expect(vt.only(subject, 'consent.lapsed').data).toMatchObject({
        consentId: 'vt-acute-lapse',
        occurredAt: addDays(givenAt, 58),
      });
      expect(vt.events(subject, 'consent.effective')).toEqual([]);
      const reminders = notificationsFor('vt-acute-lapse');
      expect(reminders.map((n) => n.kind)).toEqual(['reconfirmation-reminder', 'reconfirmation-reminder']);
      expect(reminders.map((n) => n.createdAt)).toEqual([near(addDays(givenAt, 43)), near(addDays(givenAt, 57))]);
      expect(reminders.map((n) => n.dueBy)).toEqual([addDays(givenAt, 58), addDays(givenAt, 58)]);
    });

    it('reconfirmed on day 30, after the cooling-off: effective on day 30 (the date then promised), no reminder', async () => {
      const subject = subjectFor('acute_reconfirm');
      const givenAt = await vt.now();
      await vt.record(given('vt-acute-ok', givenAt, { subject, setting: 'acute' }));
      await vt.sleepUntil(addDays(givenAt, 30));
      const reconfirmedAt = await vt.now();
      const counting = reconfirmed('vt-acute-ok', reconfirmedAt, { subject });
      await vt.record(counting);
      // Between the reconfirmation and consent.effective, a denial promises the reconfirmation's instant.
      const promised = research(vt.stateOf(subject, counting.id), reconfirmedAt);
      expect(promised).toMatchObject({ decision: 'deny', effectiveFrom: reconfirmedAt });

      await vt.sleep('1 minute');
      await expect(vt.result(workflowIds.coolingOff('vt-acute-ok'))).resolves.toBe('effective');
      expect(vt.only(subject, 'consent.effective').data.occurredAt).toBe(reconfirmedAt);
      expect(research(vt.stateOf(subject), await vt.now()).decision).toBe('permit');
      await vt.sleepUntil(addDays(givenAt, 60));
      expect(notificationsFor('vt-acute-ok')).toEqual([]);
    });
  });
});
