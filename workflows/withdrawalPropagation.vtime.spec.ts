// Withdrawal propagation in virtual time on the DEFAULT policy (acknowledge within 30 days, reminders
// 7 days and 1 day before): real workflows and activities on Temporal's test server, the ledger and
// the notice store in memory (test/virtualTime). Assertions are on the ledger events the workflow
// wrote, when they occurred, and the delivery attempts it made — not on its internal state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUser, given, released, withdrawn } from '../contracts/consent/fixtures.js';
import { addDays } from '../contracts/consent/policy.js';
import { noticeIdFor, releaseNoticeIdFor } from './activities/ids.js';
import { startVirtualTime, subjectFor, workflowIds, type VirtualTime } from '../test/virtualTime/kit.js';

/** Within a minute of `at`: what a workflow's clock or an activity's recording time reads in virtual time. */
const near = (at: string) => expect.toSatisfy((t: string) => Math.abs(Date.parse(t) - Date.parse(at)) < 60_000);

describe('withdrawalPropagation on the default policy, in virtual time', () => {
  let vt: VirtualTime;
  beforeAll(async () => {
    vt = await startVirtualTime();
  });
  afterAll(async () => {
    await vt.close();
  });

  it('one holder acknowledges on day 2, the other on day 45: reminders, overdue at day 30, completed only then', async () => {
    const subject = subjectFor('propagation');
    const [uni, pharma] = [dataUser('du_vt-uni', 'academic', 'uk'), dataUser('du_vt-pharma', 'commercial', 'uk')];
    const start = await vt.now();
    await vt.registerDataUser(uni, start);
    await vt.registerDataUser(pharma, start);
    await vt.record(given('vt-p-consent', start, { subject }));
    await vt.sleep('15 days'); // effective: the data can be released
    const releasedAt = await vt.now();
    await vt.record(
      released('rel-1', uni.id, releasedAt, { subject }),
      released('rel-2', pharma.id, releasedAt, { subject }),
    );

    await vt.sleep('10 days');
    const w = await vt.now();
    await vt.record(withdrawn('vt-p-withdrawal', w, { subject }));
    await vt.sleepUntil(addDays(w, 2));
    const uniAckAt = await vt.acknowledge('vt-p-withdrawal', uni.id);

    await vt.sleepUntil(addDays(w, 44));
    const sent = vt.events(subject, 'revocation.sent');
    expect(sent.map((e) => e.type === 'revocation.sent' && e.data.dataUserId).sort()).toEqual([pharma.id, uni.id]);
    for (const e of sent) {
      if (e.type !== 'revocation.sent') continue;
      expect(e.data.occurredAt).toEqual(near(w));
      expect(e.data.dueBy).toBe(addDays(e.data.occurredAt, 30));
    }
    // Day 44: the pharma notice is overdue since day 30, and the withdrawal is not complete.
    const overdue = vt.only(subject, 'revocation.overdue');
    expect(overdue.data).toMatchObject({ dataUserId: pharma.id, occurredAt: addDays(sentAtOf(pharma.id), 30) });
    expect(vt.events(subject, 'withdrawal.completed')).toEqual([]);

    await vt.sleepUntil(addDays(w, 45));
    const pharmaAckAt = await vt.acknowledge('vt-p-withdrawal', pharma.id);
    await vt.sleep('1 minute');
    await expect(vt.result(workflowIds.withdrawal('vt-p-withdrawal'))).resolves.toEqual({
      holders: [pharma.id, uni.id],
    });

    const acks = vt.events(subject, 'revocation.acknowledged');
    expect(acks.map((e) => e.type === 'revocation.acknowledged' && [e.data.dataUserId, e.data.occurredAt])).toEqual([
      [uni.id, uniAckAt],
      [pharma.id, pharmaAckAt],
    ]);
    expect(uniAckAt).toEqual(near(addDays(w, 2)));
    expect(pharmaAckAt).toEqual(near(addDays(w, 45)));
    const completed = vt.only(subject, 'withdrawal.completed');
    expect(completed.data.dataUserIds).toEqual([pharma.id, uni.id]);
    expect(completed.data.occurredAt).toEqual(near(pharmaAckAt));
    expect(Date.parse(completed.data.occurredAt)).toBeGreaterThanOrEqual(Date.parse(pharmaAckAt));

    // Deliveries: each notice once at once; the pharma notice again 7 days and 1 day before it was due;
    // the university, which acknowledged on day 2, was never reminded.
    const attempts = (dataUserId: string) =>
      vt.notices.attempts.filter((a) => a.noticeId === noticeIdFor('vt-p-withdrawal', dataUserId)).map((a) => a.at);
    const pharmaSent = sentAtOf(pharma.id);
    expect(attempts(pharma.id)).toEqual([
      near(pharmaSent),
      near(addDays(pharmaSent, 23)),
      near(addDays(pharmaSent, 29)),
    ]);
    expect(attempts(uni.id)).toEqual([near(sentAtOf(uni.id))]);
    expect(vt.revocations.published.map((p) => p.key).sort()).toEqual([pharma.id, uni.id]);

    function sentAtOf(dataUserId: string): string {
      const e = sent.find((s) => s.type === 'revocation.sent' && s.data.dataUserId === dataUserId);
      return e!.data.occurredAt;
    }
  });

  it('a withdrawal nobody holds data for completes at once', async () => {
    const subject = subjectFor('noholders');
    const start = await vt.now();
    await vt.record(given('vt-n-consent', start, { subject }));
    await vt.sleep('15 days');
    const w = await vt.now();
    await vt.record(withdrawn('vt-n-withdrawal', w, { subject }));
    await vt.sleep('1 minute');
    await expect(vt.result(workflowIds.withdrawal('vt-n-withdrawal'))).resolves.toEqual({ holders: [] });
    const completed = vt.only(subject, 'withdrawal.completed');
    expect(completed.data).toMatchObject({ dataUserIds: [], occurredAt: near(w) });
    expect(vt.events(subject, 'revocation.sent')).toEqual([]);
  });

  it('a withdrawal while a burst of consents is pending: its notices go out at once, from its own queue', async () => {
    const subject = subjectFor('burst');
    const uni = dataUser('du_vt-burst-uni', 'academic', 'uk');
    const start = await vt.now();
    await vt.registerDataUser(uni, start);
    await vt.record(released('rel-b', uni.id, start, { subject }));
    const burst = Array.from({ length: 50 }, (_, i) =>
      given(`vt-b-consent-${i}`, start, { subject: subjectFor(`burst_${String(i).padStart(3, '0')}`) }),
    );
    await vt.record(...burst);
    await vt.sleep('1 hour');
    const w = await vt.now();
    await vt.record(withdrawn('vt-b-withdrawal', w, { subject }));
    await vt.sleep('1 minute');

    // Within the minute, while 50 consents wait out their cooling-off on the lifecycle queue.
    const sent = vt.only(subject, 'revocation.sent');
    expect(sent.data).toMatchObject({ dataUserId: uni.id, occurredAt: near(w) });
    const propagation = await vt.handle(workflowIds.withdrawal('vt-b-withdrawal')).describe();
    expect(propagation.taskQueue).toBe(vt.taskQueues.propagation);
    const pending = await vt.handle(workflowIds.coolingOff(burst[0]!.id)).describe();
    expect([pending.taskQueue, pending.status.name]).toEqual([vt.taskQueues.lifecycle, 'RUNNING']);

    await vt.acknowledge('vt-b-withdrawal', uni.id);
    await vt.sleepUntil(addDays(start, 14));
    await vt.sleep('1 minute'); // their consent.effective activities run before virtual time moves on
    expect(vt.only(subject, 'withdrawal.completed').data.dataUserIds).toEqual([uni.id]);
    const effective = burst.filter((c) => vt.events(c.subject, 'consent.effective').length === 1);
    expect(effective).toHaveLength(burst.length);
  });

  it('a release recorded after the withdrawal: its own notice under the same SLA, reminded, overdue at day 30, then acknowledged', async () => {
    const subject = subjectFor('releaseafter');
    const [uni, pharma] = [dataUser('du_vt-ra-uni', 'academic', 'uk'), dataUser('du_vt-ra-pharma', 'commercial', 'uk')];
    const start = await vt.now();
    await vt.registerDataUser(uni, start);
    await vt.registerDataUser(pharma, start);
    await vt.record(released('rel-ra1', uni.id, start, { subject }));
    await vt.sleep('1 hour');
    const w = await vt.now();
    await vt.record(withdrawn('vt-ra-withdrawal', w, { subject }));
    await vt.sleepUntil(addDays(w, 1));
    await vt.acknowledge('vt-ra-withdrawal', uni.id);
    await vt.sleep('1 minute');
    expect(vt.only(subject, 'withdrawal.completed').data.dataUserIds).toEqual([uni.id]);

    // Day 3: the data goes to pharma although the withdrawal is on record.
    await vt.sleepUntil(addDays(w, 3));
    const late = released('rel-ra2', pharma.id, await vt.now(), { subject });
    await vt.record(late);
    await vt.sleep('1 minute');
    const noticeId = releaseNoticeIdFor(late.id, pharma.id);
    const sent = vt
      .events(subject, 'revocation.sent')
      .find((e) => e.type === 'revocation.sent' && e.data.noticeId === noticeId);
    expect(sent?.data).toMatchObject({
      withdrawalId: 'vt-ra-withdrawal',
      dataUserId: pharma.id,
      occurredAt: near(addDays(w, 3)),
    });
    const sentAt = sent!.data.occurredAt;
    expect(sent!.data).toMatchObject({ dueBy: addDays(sentAt, 30) });

    await vt.sleepUntil(addDays(sentAt, 31));
    const overdue = vt.only(subject, 'revocation.overdue');
    expect(overdue.data).toMatchObject({ noticeId, occurredAt: addDays(sentAt, 30) });
    const attempts = vt.notices.attempts.filter((a) => a.noticeId === noticeId).map((a) => a.at);
    expect(attempts).toEqual([near(sentAt), near(addDays(sentAt, 23)), near(addDays(sentAt, 29))]);

    await vt.acknowledge('vt-ra-withdrawal', pharma.id, { noticeId });
    await vt.sleep('1 minute');
    await expect(vt.result(workflowIds.releaseAfterRefusal(noticeId))).resolves.toEqual({ holders: [pharma.id] });
    const acks = vt
      .events(subject, 'revocation.acknowledged')
      .filter((e) => e.type === 'revocation.acknowledged' && e.data.noticeId === noticeId);
    expect(acks).toHaveLength(1);
    // The withdrawal's own completion is the one written on day 1; the late notice adds none.
    expect(vt.events(subject, 'withdrawal.completed')).toHaveLength(1);
  });
});
