// Consent lifecycle workflows end to end on the real servers: events on a real Kafka ledger, the
// real projector, dispatcher and worker processes, the dev Temporal server. Policy periods are a few
// seconds (fractions of a day in CONSENT_POLICIES), so every path runs in real time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../contracts/consent/decide.js';
import { policySet } from '../contracts/consent/policy.js';
import type { ConsentFact, SubjectState } from '../contracts/consent/fold.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { CaptureSetting, Scope } from '../contracts/consent/vocabulary.js';
import { runId } from '../test/serverEnv.js';
import { eventually, startWorkflowStack, testPolicy, type WorkflowStack } from '../test/e2e/workflowKit.js';
import { startService } from '../test/harness/service.js';
import { connectTemporalClient } from '../adapters/temporal.js';
import { testEnv } from '../test/serverEnv.js';

const policy = testPolicy({ coolingOffS: 4, acuteS: 5, windowS: 6 });
const ALL: Scope = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' };
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const sub = (name: string) => `sub_${runId}_${name}`.slice(0, 60);
const uni = {
  id: 'du_uni',
  category: 'academic' as const,
  jurisdiction: 'uk' as const,
  approvals: [{ purpose: 'research' as const, reference: 'IRAS 1', expiresAt: '2030-01-01T00:00:00Z' }],
};

function envelope(type: string, id: string, subject: string, data: object): LedgerEvent {
  return {
    specversion: '1.0',
    id,
    source: 'org:rxh',
    type,
    subject,
    time: iso(),
    datacontenttype: 'application/json',
    dataversion: 1,
    data: { occurredAt: iso(), ...data },
  } as unknown as LedgerEvent;
}
const given = (id: string, subject: string, o: { setting?: CaptureSetting; validUntil?: string; scope?: Scope } = {}) =>
  envelope('consent.given', id, subject, {
    scope: o.scope ?? ALL,
    capture: { channel: 'in-person', setting: o.setting ?? 'routine' },
    policyVersion: 'test-01',
    ...(o.validUntil && { validUntil: o.validUntil }),
  });

describe('consent workflows (dispatcher + worker + projector, real Kafka and Temporal)', () => {
  let stack: WorkflowStack;
  const id = (name: string) => `${runId}-${name}`;

  beforeAll(async () => {
    stack = await startWorkflowStack(`wfc-${runId}`, { projector: 18300, dispatcher: 18301, worker: 18302 }, policy);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  const consentOf = (s: SubjectState | undefined, consentId: string) =>
    s?.facts.find((f): f is ConsentFact => f.kind === 'consent' && f.eventId === consentId);
  const untilStatus = (subject: string, consentId: string, status: string) =>
    eventually(
      async () => {
        const s = await stack.reader.subject(subject);
        return consentOf(s, consentId)?.status === status ? s! : undefined;
      },
      40_000,
      `${consentId} ${status}`,
    );
  const types = (s: SubjectState) => s.records.map((r) => r.event.type);

  it('cooling-off completes → consent.effective on the ledger → the decision permits', async () => {
    const subject = sub('routine');
    await stack.append([given(id('c-routine'), subject)]);
    const pending = await stack.reader
      .subject(subject)
      .then(async (s) => s ?? eventually(() => stack.reader.subject(subject)));
    expect(
      decide(pending, { subject, purpose: 'research', dataCategory: 'ehr', dataUser: uni }, policySet([policy]), iso())
        .decision,
    ).toBe('deny');
    const s = await untilStatus(subject, id('c-routine'), 'effective');
    const eff = s.records.find((r) => r.event.type === 'consent.effective')!.event;
    expect(eff).toMatchObject({ id: `wf.${id('c-routine')}.effective`, source: 'sys:workflows' });
    expect(
      decide(s, { subject, purpose: 'research', dataCategory: 'ehr', dataUser: uni }, policySet([policy]), iso())
        .decision,
    ).toBe('permit');
  });

  it('a withdrawal during cooling-off → consent.cancelled, never effective, never permits', async () => {
    const subject = sub('withdrawn');
    await stack.append([given(id('c-w'), subject)]);
    await stack.append([envelope('consent.withdrawn', id('w-w'), subject, { scope: ALL })]);
    const s = await untilStatus(subject, id('c-w'), 'cancelled');
    expect(s.records.find((r) => r.event.type === 'consent.cancelled')!.event).toMatchObject({
      id: `wf.${id('c-w')}.cancelled`,
    });
    // Past the end of the cooling-off: still no consent.effective.
    await new Promise((r) => setTimeout(r, 5000));
    const later = (await stack.reader.subject(subject))!;
    expect(types(later)).not.toContain('consent.effective');
    expect(
      decide(later, { subject, purpose: 'research', dataCategory: 'ehr', dataUser: uni }, policySet([policy]), iso())
        .decision,
    ).toBe('deny');
  });

  it('an opt-out covering the consent cancels it too; a narrower one does not', async () => {
    const subject = sub('optout');
    await stack.append([
      given(id('c-o1'), subject, { scope: { ...ALL, purposes: ['research'] } }),
      given(id('c-o2'), subject),
    ]);
    await stack.append([
      envelope('optout.registered', id('o-o'), subject, { scope: { ...ALL, purposes: ['research'] }, national: false }),
    ]);
    await untilStatus(subject, id('c-o1'), 'cancelled');
    await untilStatus(subject, id('c-o2'), 'effective');
  });

  it('acute capture without reconfirmation → consent.lapsed, with a reminder to the emitting organisation', async () => {
    const subject = sub('acute_lapse');
    await stack.append([given(id('c-lapse'), subject, { setting: 'emergency' })]);
    const s = await untilStatus(subject, id('c-lapse'), 'lapsed');
    expect(types(s)).not.toContain('consent.effective');
    const notes = await stack.mongo.db
      .collection('organisation_notifications')
      .find({ consentId: id('c-lapse') })
      .toArray();
    expect(notes.map((n) => [n.kind, n.organisation])).toEqual([['reconfirmation-reminder', 'org:rxh']]);
  });

  it('acute capture reconfirmed after the cooling-off → consent.effective', async () => {
    const subject = sub('acute_ok');
    const consentId = id('c-acute');
    await stack.append([given(consentId, subject, { setting: 'acute' })]);
    await untilStatus(subject, consentId, 'awaiting-reconfirmation');
    // Not effective by the timer alone: still awaiting after the cooling-off (5 s).
    await new Promise((r) => setTimeout(r, 6000));
    expect(consentOf(await stack.reader.subject(subject), consentId)?.status).toBe('awaiting-reconfirmation');
    await stack.append([
      envelope('consent.reconfirmed', id('r-acute'), subject, {
        consentId,
        capture: { channel: 'app', setting: 'remote' },
      }),
    ]);
    const s = await untilStatus(subject, consentId, 'effective');
    expect(types(s).filter((t) => t === 'consent.effective')).toHaveLength(1);
  });

  it('expiry: validUntil passes → consent.expired, after a re-consent prompt to the organisation', async () => {
    const subject = sub('expiry');
    const consentId = id('c-exp');
    await stack.append([given(consentId, subject, { validUntil: iso(Date.now() + 9000) })]);
    await untilStatus(subject, consentId, 'effective');
    const s = await untilStatus(subject, consentId, 'expired');
    expect(s.records.find((r) => r.event.type === 'consent.expired')!.event).toMatchObject({
      id: `wf.${consentId}.expired`,
    });
    const notes = await stack.mongo.db.collection('organisation_notifications').find({ consentId }).toArray();
    expect(notes.map((n) => n.kind)).toEqual(['re-consent-prompt']);
  });

  it('a re-delivered ledger (a second dispatcher group from offset 0) starts no second workflow; the Web UI finds them by subject pseudonym', async () => {
    const temporal = await connectTemporalClient({
      address: testEnv.TEMPORAL_ADDRESS,
      namespace: testEnv.TEMPORAL_NAMESPACE,
    });
    const group = `dispatcher-again-${runId}`;
    const again = await startService(
      'dispatcher',
      { ...stack.env, DISPATCHER_PORT: '18303', DISPATCHER_GROUP_ID: group },
      18303,
      `dispatcher-again-${runId}`,
    );
    try {
      const admin = stack.kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(stack.topics.names.ledger);
      await eventually(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId: group, topics: [stack.topics.names.ledger] });
          return (
            ends.every(
              (e) =>
                e.high === '0' || committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
            ) || undefined
          );
        },
        40_000,
        'second dispatcher caught up',
      );
      await admin.disconnect();
      const subject = sub('routine');
      const runs = await temporal.client.workflow.count(`WorkflowId = 'coolingOff:${id('c-routine')}'`);
      expect(runs.count).toBe(1);
      const listed = await eventually(
        async () => {
          const found = [];
          for await (const w of temporal.client.workflow.list({ query: `SubjectPseudonym = '${subject}'` }))
            found.push(w);
          return found.length > 0 ? found : undefined;
        },
        20_000,
        'visibility',
      );
      expect(listed.map((w) => [w.workflowId, w.type])).toEqual([[`coolingOff:${id('c-routine')}`, 'coolingOff']]);
      const types = (await stack.ledger()).filter(
        (e) => e.type === 'consent.effective' && (e.data as { consentId: string }).consentId === id('c-routine'),
      );
      expect(new Set(types.map((e) => e.id)).size).toBe(1);
    } finally {
      await again.stop();
      await temporal.close();
    }
  }, 90_000);
});
