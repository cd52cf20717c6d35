// The consent lifecycle in virtual time on the DEFAULT policy (14-day cooling-off, 28-day acute
// cooling-off, 30-day reconfirmation window): real workflows and activities on Temporal's test
// server, the ledger in memory (test/virtualTime). Assertions are on what the ledger says — the
// events the workflow wrote and when they occurred — never on the workflow's internal phases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { given, withdrawn } from '../contracts/consent/fixtures.js';
import { addDays, DEFAULT_POLICY } from '../contracts/consent/policy.js';
import { startVirtualTime, subjectFor, workflowIds, type VirtualTime } from '../test/virtualTime/kit.js';

const HOUR_MS = 60 * 60 * 1000;
/** Recording time (`time`) of a workflow's event: the virtual instant its activity ran, to within a minute. */
const near = (at: string) => expect.toSatisfy((t: string) => Math.abs(Date.parse(t) - Date.parse(at)) < 60_000);

describe('coolingOff on the default policy, in virtual time', () => {
  let vt: VirtualTime;
  beforeAll(async () => {
    vt = await startVirtualTime();
  });
  afterAll(async () => {
    await vt?.close();
  });

  it('routine capture: consent.effective on day 14, recorded on day 14, and nothing else', async () => {
    const subject = subjectFor('routine');
    const givenAt = await vt.now();
    await vt.record(given('vt-routine', givenAt, { subject }));

    await expect(vt.result(workflowIds.coolingOff('vt-routine'))).resolves.toBe('effective');

    const effective = vt.only(subject, 'consent.effective');
    expect(effective.data).toMatchObject({ consentId: 'vt-routine', occurredAt: addDays(givenAt, 14) });
    expect(effective.data.policyVersion).toBe(DEFAULT_POLICY.version);
    expect(effective.time).toEqual(near(addDays(givenAt, 14)));
    expect(vt.events(subject).map((e) => e.type)).toEqual(['consent.given', 'consent.effective']);
  });

  it('a withdrawal on day 3 cancels: consent.cancelled on day 3, never effective', async () => {
    const subject = subjectFor('cancel');
    const givenAt = await vt.now();
    await vt.record(given('vt-cancel', givenAt, { subject }));
    await vt.sleep('3 days');
    const withdrawnAt = await vt.now();
    await vt.record(withdrawn('vt-cancel-w', withdrawnAt, { subject }));

    await expect(vt.result(workflowIds.coolingOff('vt-cancel'))).resolves.toBe('cancelled');

    const cancelled = vt.only(subject, 'consent.cancelled');
    expect(cancelled.data).toMatchObject({ consentId: 'vt-cancel', occurredAt: withdrawnAt });
    expect(Date.parse(withdrawnAt) - Date.parse(givenAt)).toBeGreaterThanOrEqual(3 * 24 * HOUR_MS);
    expect(Date.parse(withdrawnAt) - Date.parse(givenAt)).toBeLessThan(3 * 24 * HOUR_MS + HOUR_MS);
    // Past the end of the cooling-off: still never effective.
    await vt.sleepUntil(addDays(givenAt, 20));
    expect(vt.events(subject, 'consent.effective')).toEqual([]);
  });
});
