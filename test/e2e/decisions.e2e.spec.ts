// Acceptance for the decision API, through the real servers and processes: hospital events go through
// the ingest service, the projector folds them, the query service decides. consent.effective is fed
// directly (what the cooling-off workflow writes when the period ends; the workflow tests cover the timer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../serverEnv.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { SubjectConsent } from '../../contracts/subjectViews.js';
import { partitionCount, partitionForKey } from '../../adapters/kafka.js';
import {
  approvals,
  consentEffective,
  consentGiven,
  NHS_ACADEMIC_RESEARCH,
  SCOPE_ALL,
  startQueryStack,
  type QueryStack,
} from './queryKit.js';

const ROUNDS = 5;

describe('decisions end to end: ingest → ledger → projector → query', () => {
  let s: QueryStack;
  let hospital: string, admin: string, uni: string, company: string, auditor: string;
  const UNI = `du_uni_${runId}`,
    COMPANY = `du_co_${runId}`;
  let seq = 0;
  const used: string[] = [];

  const record = async (body: Record<string, unknown>) => {
    const res = await fetch(`${s.ingest!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hospital}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { eventId: string; subject: string; recordedAt: string };
  };
  const incoming = (type: string, who: { subject?: string; nhsNumber?: string }, data: Record<string, unknown>) => ({
    specversion: '1.0',
    id: `e2e-${runId}-${++seq}`,
    source: 'org:rxh',
    type,
    dataversion: 1,
    ...who,
    data: { occurredAt: new Date(Date.now() - 1000).toISOString(), ...data },
  });
  const consent = (who: { subject?: string; nhsNumber?: string }) =>
    incoming('consent.given', who, {
      occurredAt: new Date(Date.now() - 60_000).toISOString(),
      scope: NHS_ACADEMIC_RESEARCH,
      capture: { channel: 'in-person', setting: 'routine' },
      policyVersion: '2026-01',
    });
  const decide = async (key: string, subject: string, purpose = 'research', asOf?: string) => {
    const res = await s.call('/v1/decisions', key, {
      body: { subject, purpose, dataCategory: 'ehr', ...(asOf && { asOf }) },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { decision: string; reasons: { code: string; eventIds: string[] }[] };
  };
  /** A subject with an effective consent (nhs/academic, research + ai-training, uk). */
  const consentedSubject = async (nhsNumber: string) => {
    used.push(nhsNumber);
    const given = await record(consent({ nhsNumber }));
    await s.append([consentEffective(given.eventId, given.subject)]);
    return given;
  };

  beforeAll(async () => {
    s = await startQueryStack(`e2e-${runId}`, { query: 18260, projector: 18261, ingest: 18262 });
    [hospital, admin, uni, company, auditor] = await Promise.all([
      s.key('hospital', 'org:rxh'),
      s.key('admin', 'admin:ops'),
      s.key('dataUser', UNI),
      s.key('dataUser', COMPANY),
      s.key('auditor', 'auditor:ico'),
    ]);
    for (const [dataUserId, category] of [
      [UNI, 'academic'],
      [COMPANY, 'commercial'],
    ] as const) {
      const res = await s.call('/v1/data-users', admin, {
        body: {
          dataUserId,
          name: `${category} user`,
          category,
          jurisdiction: 'uk',
          approvals: approvals(['research', 'ai-training']),
        },
      });
      expect(res.status).toBe(202);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  it(`consent effective → permit; withdrawal through ingest → the very next decision denies (${ROUNDS} rounds); asOf before it → permit`, async () => {
    const numbers = syntheticNhsNumbers(ROUNDS, Date.now() + 17);
    for (const nhsNumber of numbers) {
      const given = await consentedSubject(nhsNumber);
      expect(await decide(uni, given.subject)).toMatchObject({
        decision: 'permit',
        reasons: [{ code: 'consent-effective' }],
      });
      const beforeWithdrawal = new Date().toISOString();
      const w = await record(
        incoming('consent.withdrawn', { nhsNumber }, { occurredAt: new Date().toISOString(), scope: SCOPE_ALL }),
      );
      expect(w.subject).toBe(given.subject);
      // Asked the moment the receipt is back: the freshness guarantee says it must not permit.
      expect(await decide(uni, given.subject)).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'withdrawn', eventIds: [w.eventId] }],
      });
      expect(await decide(uni, given.subject, 'research', beforeWithdrawal)).toMatchObject({ decision: 'permit' });
      const then = SubjectConsent.parse(
        await (await s.call(`/v1/subjects/${given.subject}/consent?asOf=${beforeWithdrawal}`, auditor)).json(),
      );
      expect(then.choices.map((f) => [f.kind, f.kind === 'consent' && f.status])).toEqual([['consent', 'effective']]);
    }
  });

  it('national opt-out → deny despite an effective consent', async () => {
    const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 991);
    const given = await consentedSubject(nhsNumber!);
    expect((await decide(uni, given.subject)).decision).toBe('permit');
    const o = await record(
      incoming(
        'optout.registered',
        { nhsNumber },
        { occurredAt: new Date().toISOString(), scope: SCOPE_ALL, national: true },
      ),
    );
    expect(await decide(uni, given.subject)).toMatchObject({
      decision: 'deny',
      reasons: [{ code: 'national-opt-out', eventIds: [o.eventId] }],
    });
  });

  it('a commercial data user is denied where the consent allows only nhs/academic; an unapproved purpose is denied', async () => {
    const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 4243);
    const given = await consentedSubject(nhsNumber!);
    expect((await decide(uni, given.subject)).decision).toBe('permit');
    expect(await decide(company, given.subject)).toMatchObject({
      decision: 'deny',
      reasons: [{ code: 'no-consent-default-opt-in' }],
    });
    expect(await decide(uni, given.subject, 'service-planning')).toMatchObject({
      decision: 'deny',
      reasons: [{ code: 'data-user-not-approved' }],
    });
  });

  it('a cached state outlives records of other subjects on its partition, and not one of its own', async () => {
    const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 5501);
    const given = await consentedSubject(nhsNumber!);
    expect((await decide(uni, given.subject)).decision).toBe('permit');
    const partitions = await partitionCount(s.kafka, s.topics.names.ledger);
    const partition = partitionForKey(given.subject, partitions);
    const neighbours = Array.from({ length: 2000 }, (_, i) => `sub_neighbour${runId}x${i}`)
      .filter((id) => partitionForKey(id, partitions) === partition)
      .slice(0, 20);
    const unchangedReads = async () => {
      const text = await (await fetch(`${s.query.url}/metrics`)).text();
      const line = /^query_cache_reads_total\{cache="subject",outcome="unchanged"\} (\d+)$/m.exec(text);
      return Number(line?.[1] ?? 0);
    };
    const before = await unchangedReads();
    // Each round moves the partition's high-water mark with another subject's record; once the query's
    // tail of the ledger keys has read it, the cached state is reused rather than read again.
    let reused = false;
    for (const neighbour of neighbours) {
      await s.append([consentGiven(`e2e-${runId}-n-${neighbour}`, neighbour)]);
      await new Promise((r) => setTimeout(r, 300));
      expect((await decide(uni, given.subject)).decision).toBe('permit');
      if ((await unchangedReads()) > before) {
        reused = true;
        break;
      }
    }
    expect(reused).toBe(true);
    // A record of its own: the next decision reads the store again and sees it.
    const w = await record(
      incoming('consent.withdrawn', { nhsNumber }, { occurredAt: new Date().toISOString(), scope: SCOPE_ALL }),
    );
    expect(await decide(uni, given.subject)).toMatchObject({
      decision: 'deny',
      reasons: [{ code: 'withdrawn', eventIds: [w.eventId] }],
    });
  });

  it("no raw NHS number reaches the query service's log or the decision log", async () => {
    const { readFileSync } = await import('node:fs');
    const { readTopic } = await import('../harness/ledger.js');
    const logs = readFileSync(s.query.logFile, 'utf8');
    const decisions = (await readTopic(s.kafka, s.topics.names.decisions)).map((r) => r.value.toString()).join('\n');
    expect(decisions.length).toBeGreaterThan(0);
    expect(used.length).toBe(ROUNDS + 3);
    for (const n of used) {
      expect(logs).not.toContain(n);
      expect(decisions).not.toContain(n);
    }
    expect(decisions).not.toMatch(/\b\d{10}\b/);
  });
});
