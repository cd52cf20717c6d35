// The consent lifecycle through the public API on a running stack (ingest, query, projector,
// dispatcher, worker, the real servers), on a policy of seconds: what a data user is told while an
// acute-capture consent waits is what the workflow then does.
//   - reconfirmed DURING the cooling-off: the decision names the reconfirmation window and promises
//     no effective date; with no reconfirmation in the window the workflow writes consent.lapsed at
//     the window's end, and the decision says lapsed.
//   - reconfirmed after the cooling-off: the decision promises the reconfirmation's time, and the
//     workflow's consent.effective carries exactly that time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { runId } from '../serverEnv.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { readTopic } from '../harness/ledger.js';
import { startService, type RunningService } from '../harness/service.js';
import { approvals, startQueryStack, type QueryStack } from './queryKit.js';
import { eventually, testPolicy } from './workflowKit.js';

const policy = testPolicy({ coolingOffS: 3, acuteS: 6, windowS: 8 });
const UNI = `du_uni_lc_${runId}`;

interface DecisionBody {
  decision: string;
  reasons: { code: string }[];
  effectiveFrom?: string;
  reconfirmFrom?: string;
  reconfirmBy?: string;
}

describe('acute-capture consent: the decision never promises a date the workflow does not honour', () => {
  let s: QueryStack;
  let dispatcher: RunningService, worker: RunningService;
  let hospital: string, uni: string;
  let seq = 0;
  const [early, late] = syntheticNhsNumbers(2, Date.now() + 91);

  const record = async (type: string, who: Record<string, string>, data: Record<string, unknown>) => {
    const res = await fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: `lc-${runId}-${++seq}`,
        source: 'org:rxh',
        type,
        dataversion: 1,
        ...who,
        data: { occurredAt: new Date().toISOString(), ...data },
      }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { eventId: string; subject: string };
  };
  const acuteConsent = (nhsNumber: string) =>
    record(
      'consent.given',
      { nhsNumber },
      {
        scope: { purposes: ['research'], dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
        capture: { channel: 'in-person', setting: 'acute' },
        policyVersion: policy.version,
      },
    );
  const reconfirm = (subject: string, consentId: string) =>
    record('consent.reconfirmed', { subject }, { consentId, capture: { channel: 'app', setting: 'remote' } });
  const decide = async (subject: string): Promise<DecisionBody> => {
    const res = await s.call('/v1/decisions', uni, { body: { subject, purpose: 'research', dataCategory: 'ehr' } });
    expect(res.status).toBe(200);
    return (await res.json()) as DecisionBody;
  };
  const ledger = async () =>
    (await readTopic(s.kafka, s.topics.names.ledger)).map((r) => JSON.parse(r.value.toString('utf8')) as LedgerEvent);
  const outcomeOf = async (consentId: string): Promise<LedgerEvent | undefined> =>
    (await ledger()).find(
      (e) =>
        e.type.startsWith('consent.') &&
        'consentId' in e.data &&
        e.data.consentId === consentId &&
        e.type !== 'consent.reconfirmed',
    );

  beforeAll(async () => {
    const tag = `lc-${runId}`;
    s = await startQueryStack(
      tag,
      { query: 18520, projector: 18521, ingest: 18522 },
      {
        CONSENT_POLICIES: JSON.stringify([policy]),
        TEMPORAL_TASK_QUEUE: `wf-${tag}`,
        TEMPORAL_PROPAGATION_TASK_QUEUE: `wfp-${tag}`,
      },
    );
    const env = { ...s.env, DISPATCHER_PORT: '18523', DISPATCHER_GROUP_ID: `dispatcher-${tag}`, WORKER_PORT: '18524' };
    [dispatcher, worker] = await Promise.all([
      startService('dispatcher', env, 18523, `dispatcher-${tag}`),
      startService('worker', env, 18524, `worker-${tag}`),
    ]);
    const admin = await s.key('admin', 'admin:ops');
    [hospital, uni] = await Promise.all([s.key('hospital', 'org:rxh'), s.key('dataUser', UNI)]);
    const res = await s.call('/v1/data-users', admin, {
      body: {
        dataUserId: UNI,
        name: 'university',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(res.status).toBe(202);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([dispatcher?.stop(), worker?.stop()]);
    await s?.close();
  }, 60_000);

  it('reconfirmed during the cooling-off: the window is named, no date promised, then consent.lapsed at its end', async () => {
    const given = await acuteConsent(early!);
    await reconfirm(given.subject, given.eventId); // too early: the person is still in the stressful moment
    const d = await eventually(async () => {
      const x = await decide(given.subject);
      return x.reasons[0]?.code === 'awaiting-reconfirmation' && x.reconfirmBy !== undefined ? x : undefined;
    }, 20_000);
    expect(d.decision).toBe('deny');
    expect(d.effectiveFrom).toBeUndefined();
    expect(d.reconfirmFrom).toBeDefined();
    const lapsed = await eventually(() => outcomeOf(given.eventId), 40_000);
    expect(lapsed.type).toBe('consent.lapsed'); // never consent.effective
    expect(lapsed.data.occurredAt).toBe(d.reconfirmBy);
    await eventually(
      async () => ((await decide(given.subject)).reasons[0]?.code === 'lapsed' ? true : undefined),
      20_000,
    );
  }, 90_000);

  it('reconfirmed after the cooling-off: consent.effective carries exactly the date the decision promised', async () => {
    const given = await acuteConsent(late!);
    const first = await eventually(async () => {
      const x = await decide(given.subject);
      return x.reconfirmFrom !== undefined ? x : undefined;
    }, 20_000);
    // Wait until the window is open, then reconfirm.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(first.reconfirmFrom!) - Date.now()) + 300));
    const r = await reconfirm(given.subject, given.eventId);
    const promised = await eventually(async () => {
      const x = await decide(given.subject);
      return x.effectiveFrom !== undefined || x.decision === 'permit' ? x : undefined;
    }, 20_000);
    const effective = await eventually(() => outcomeOf(given.eventId), 30_000);
    expect(effective.type).toBe('consent.effective');
    const reconfirmedAt = (await ledger()).find((x) => x.id === r.eventId)!.data.occurredAt;
    expect(effective.data.occurredAt).toBe(reconfirmedAt);
    if (promised.decision === 'deny') {
      expect(promised.reasons[0]?.code).toBe('reconfirmed-taking-effect');
      expect(promised.effectiveFrom).toBe(effective.data.occurredAt);
    }
    expect(Date.parse(effective.data.occurredAt)).toBeLessThanOrEqual(Date.parse(first.reconfirmBy!));
    expect((await decide(given.subject)).decision).toBe('permit');
  }, 90_000);
});
