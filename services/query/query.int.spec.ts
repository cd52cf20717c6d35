// The query service as a real process, with the real projector, against the test stack's Kafka and
// FerretDB. Events are put on the ledger directly (appendOnce), then asked about at once: every
// answer below also relies on the freshness wait (no sleeps, no polling for the projector).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { runId } from '../../test/serverEnv.js';
import { readTopic } from '../../test/harness/ledger.js';
import { SubjectConsent, SubjectTimeline } from '../../contracts/subjectViews.js';
import { DecisionEventSchema, FilterEventSchema } from '../../contracts/topicEvents.js';
import {
  approvals,
  consentEffective,
  consentGiven,
  ledgerEvent,
  startQueryStack,
  type QueryStack,
} from '../../test/e2e/queryKit.js';

const sub = (n: string) => `sub_${runId}_${n}`.padEnd(22, 'x');
const DU_ACAD = `du_acad_${runId}`;
const DU_OTHER = `du_other_${runId}`;
const A = sub('a'),
  B = sub('b'),
  NONE = sub('none');

describe('query service: registry, decisions, consent state, filter, releases', () => {
  let s: QueryStack;
  let admin: string, acad: string, other: string, hospital: string, auditor: string, unregistered: string;

  beforeAll(async () => {
    s = await startQueryStack(`q-${runId}`, { query: 18250, projector: 18251 });
    [admin, acad, other, hospital, auditor, unregistered] = await Promise.all([
      s.key('admin', 'admin:ops'),
      s.key('dataUser', DU_ACAD),
      s.key('dataUser', DU_OTHER),
      s.key('hospital', 'org:rxh'),
      s.key('auditor', 'auditor:ico'),
      s.key('dataUser', `du_ghost_${runId}`),
    ]);
    const reg = await s.call('/v1/data-users', admin, {
      body: {
        dataUserId: DU_ACAD,
        name: 'University of Example',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(reg.status).toBe(202);
    await s.call('/v1/data-users', admin, {
      body: {
        dataUserId: DU_OTHER,
        name: 'Other Analytics Ltd',
        category: 'commercial',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    await s.append([
      consentGiven(`c-${runId}-a`, A),
      consentEffective(`c-${runId}-a`, A),
      consentGiven(`c-${runId}-b`, B),
    ]);
  });
  afterAll(async () => {
    await s?.close();
  });

  describe('data-user registry', () => {
    it('registration is admin-only, recorded on the ledger, idempotent on retry', async () => {
      const body = {
        dataUserId: `du_retry_${runId}`,
        name: 'Retry Uni',
        category: 'academic',
        jurisdiction: 'eu',
        approvals: [],
      };
      expect((await s.call('/v1/data-users', acad, { body })).status).toBe(403);
      const first = await s.call('/v1/data-users', admin, { body });
      const again = await s.call('/v1/data-users', admin, { body });
      expect(first.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const [a, b] = [(await first.json()) as any, (await again.json()) as any];
      expect(b.ledger).toEqual(a.ledger);
      const onLedger = (await readTopic(s.kafka, s.topics.names.ledger))
        .map((r) => JSON.parse(r.value.toString()))
        .filter((e) => e.id === a.eventId);
      expect(onLedger).toHaveLength(1);
      expect(onLedger[0]).toMatchObject({
        type: 'dataUser.registered',
        source: 'sys:registry',
        subject: body.dataUserId,
      });
    });
    it('bad registrations name the field', async () => {
      const res = await s.call('/v1/data-users', admin, {
        body: { dataUserId: 'nope', name: 'x', category: 'charity', jurisdiction: 'uk' },
      });
      expect(res.status).toBe(400);
      const pointers = (((await res.json()) as any).errors as any[]).map((e) => e.pointer);
      expect(pointers).toEqual(expect.arrayContaining(['#/dataUserId', '#/category']));
    });
    it('approvals are granted by admins and seen at once; a data user reads only its own registration', async () => {
      const res = await s.call(`/v1/data-users/${DU_ACAD}/approvals`, admin, {
        body: { approvals: approvals(['ai-training']), requestId: 'r1' },
      });
      expect(res.status).toBe(202);
      const mine = await s.call(`/v1/data-users/${DU_ACAD}`, acad);
      expect(mine.status).toBe(200);
      expect((((await mine.json()) as any).approvals as any[]).map((a) => a.purpose).sort()).toEqual([
        'ai-training',
        'research',
      ]);
      expect((await s.call(`/v1/data-users/${DU_ACAD}`, other)).status).toBe(403);
      expect((await s.call(`/v1/data-users/${DU_ACAD}`, auditor)).status).toBe(200);
      expect(
        (
          await s.call(`/v1/data-users/du_unknown_${runId}/approvals`, admin, {
            body: { approvals: approvals(['research']), requestId: 'r1' },
          })
        ).status,
      ).toBe(404);
    });
  });

  describe('POST /v1/decisions', () => {
    it('effective consent → permit, with reasons and event ids; the decision is on the decision log', async () => {
      const res = await s.call('/v1/decisions', acad, {
        body: { subject: A, purpose: 'research', dataCategory: 'ehr' },
      });
      expect(res.status).toBe(200);
      const d = (await res.json()) as any;
      expect(d).toMatchObject({ decision: 'permit', reasons: [{ code: 'consent-effective' }], dataUserId: DU_ACAD });
      expect(d.eventIds).toEqual(expect.arrayContaining([`c-${runId}-a`, `c-${runId}-a.effective`]));
      // Each decision-log record is a structured-mode CloudEvent (contracts/topicEvents.ts).
      const log = (await readTopic(s.kafka, s.topics.names.decisions)).map((r) => ({
        key: r.key,
        contentType: r.headers?.['content-type']?.toString(),
        ce: DecisionEventSchema.or(FilterEventSchema).parse(JSON.parse(r.value.toString())),
      }));
      const mine = log.find((l) => l.ce.id === d.decisionId);
      expect(mine).toMatchObject({
        key: A,
        contentType: 'application/cloudevents+json; charset=UTF-8',
        ce: { type: 'decision.recorded', subject: A, dataschema: 'urn:consent-ledger:data:decision.recorded:v1' },
      });
      expect(mine).toMatchObject({
        ce: {
          data: {
            kind: 'decision',
            dataUserId: DU_ACAD,
            subject: A,
            purpose: 'research',
            dataCategory: 'ehr',
            decision: 'permit',
            reasons: ['consent-effective'],
          },
        },
      });
    });
    it('pending consent, commercial data user, unapproved purpose, unknown subject (opt-in default) → deny with the reason', async () => {
      const ask = async (key: string, body: object) =>
        (await (await s.call('/v1/decisions', key, { body })).json()) as any;
      expect(await ask(acad, { subject: B, purpose: 'research', dataCategory: 'ehr' })).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'cooling-off' }],
      });
      expect(await ask(other, { subject: A, purpose: 'research', dataCategory: 'ehr' })).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'no-consent-default-opt-in' }],
      });
      expect(await ask(acad, { subject: A, purpose: 'service-planning', dataCategory: 'ehr' })).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'data-user-not-approved' }],
      });
      expect(await ask(acad, { subject: NONE, purpose: 'research', dataCategory: 'ehr' })).toMatchObject({
        decision: 'deny',
        reasons: [{ code: 'no-consent-default-opt-in' }],
      });
    });
    it('a withdrawal appended a moment ago is seen by the next decision (freshness)', async () => {
      const subject = sub('fresh');
      await s.append([consentGiven(`c-${runId}-f`, subject), consentEffective(`c-${runId}-f`, subject)]);
      expect(
        (
          (await (
            await s.call('/v1/decisions', acad, { body: { subject, purpose: 'research', dataCategory: 'ehr' } })
          ).json()) as any
        ).decision,
      ).toBe('permit');
      await s.append([
        ledgerEvent('consent.withdrawn', `w-${runId}-f`, subject, {
          scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
        }),
      ]);
      const d = (await (
        await s.call('/v1/decisions', acad, { body: { subject, purpose: 'research', dataCategory: 'ehr' } })
      ).json()) as any;
      expect(d).toMatchObject({ decision: 'deny', reasons: [{ code: 'withdrawn', eventIds: [`w-${runId}-f`] }] });
    });
    it('bad requests: 400 naming the field, 403 asking as another, 404 for an unregistered data user, 401 without a key', async () => {
      const bad = await s.call('/v1/decisions', acad, {
        body: { subject: '9434765919', purpose: 'world-domination', dataCategory: 'ehr' },
      });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as any;
      expect(body.errors.map((e: any) => e.pointer)).toEqual(expect.arrayContaining(['#/subject', '#/purpose']));
      expect(JSON.stringify(body)).not.toContain('9434765919');
      const as = await s.call('/v1/decisions', acad, {
        body: { subject: A, purpose: 'research', dataCategory: 'ehr', dataUserId: DU_OTHER },
      });
      expect(as.status).toBe(403);
      expect(
        (await s.call('/v1/decisions', admin, { body: { subject: A, purpose: 'research', dataCategory: 'ehr' } }))
          .status,
      ).toBe(403);
      const ghost = await s.call('/v1/decisions', unregistered, {
        body: { subject: A, purpose: 'research', dataCategory: 'ehr' },
      });
      expect(ghost.status).toBe(404);
      expect(((await ghost.json()) as any).errors[0].pointer).toBe('#/dataUserId');
      expect(
        (
          await fetch(`${s.query.url}/v1/decisions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(401);
    });
    it("/metrics counts the decisions by outcome and shows only the query service's own families", async () => {
      const text = await (await fetch(`${s.query.url}/metrics`)).text();
      // The tests above answered permits and denies.
      expect(text).toMatch(/^decisions_total\{decision="permit"\} [1-9]/m);
      expect(text).toMatch(/^decisions_total\{decision="deny"\} [1-9]/m);
      expect(text).toContain('# TYPE query_freshness_unavailable_total counter');
      expect(text).toMatch(/^http_requests_total\{method="POST",route="\/v1\/decisions",status="200"\} [1-9]/m);
      for (const other of ['workflows_', 'workflow_activities_', 'ingest_', 'sealer_', 'webhook_deliveries_'])
        expect(text).not.toContain(other);
    });
  });

  describe('subject state', () => {
    it('consent now and asOf a past instant; timeline; 404 unknown; 400 malformed; data users may not read', async () => {
      // Every answer is checked against the public model the OpenAPI document publishes.
      const now = SubjectConsent.parse(await (await s.call(`/v1/subjects/${A}/consent`, hospital)).json());
      expect(now.choices).toEqual([
        expect.objectContaining({ kind: 'consent', eventId: `c-${runId}-a`, status: 'effective' }),
      ]);
      const before = SubjectConsent.parse(
        await (await s.call(`/v1/subjects/${A}/consent?asOf=2020-01-01T00:00:00Z`, auditor)).json(),
      );
      expect(before.choices).toEqual([]);
      const tl = SubjectTimeline.parse(await (await s.call(`/v1/subjects/${A}/timeline`, admin)).json());
      expect(tl.events.map((e) => e.type)).toEqual(['consent.given', 'consent.effective']);
      expect(tl.events[0]?.ledger).toEqual({ partition: expect.any(Number), offset: expect.any(String) });
      const unknown = await s.call(`/v1/subjects/${NONE}/consent`, auditor);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toContain('application/problem+json');
      const malformed = await s.call('/v1/subjects/9434765919/consent', auditor);
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as any).errors[0].pointer).toBe('#/id');
      expect((await s.call(`/v1/subjects/${A}/consent?asOf=yesterday`, auditor)).status).toBe(400);
      expect((await s.call(`/v1/subjects/${A}/consent`, acad)).status).toBe(403);
    });
    it('FHIR export: a Bundle of R4 Consent resources', async () => {
      const res = await s.call(`/v1/subjects/${A}/fhir`, auditor);
      expect(res.headers.get('content-type')).toContain('application/fhir+json');
      const b = (await res.json()) as any;
      expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
      expect(b.entry[0].resource).toMatchObject({
        resourceType: 'Consent',
        status: 'active',
        provision: { type: 'permit' },
      });
    });
  });

  describe('POST /v1/decisions:filter', () => {
    it('streams one line per subject in order, then a logged summary; one decision-log record for the call', async () => {
      const cohort = [A, B, NONE];
      const res = await s.call('/v1/decisions:filter?purpose=research&dataCategory=ehr', acad, {
        raw: JSON.stringify(cohort),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.slice(0, 3)).toEqual([
        { subject: A, decision: 'permit', reasons: ['consent-effective'] },
        { subject: B, decision: 'deny', reasons: ['cooling-off'] },
        { subject: NONE, decision: 'deny', reasons: ['no-consent-default-opt-in'] },
      ]);
      const { summary } = lines[3];
      expect(summary).toMatchObject({ cohortSize: 3, permitted: 1, denied: 2, logged: true });
      const log = (await readTopic(s.kafka, s.topics.names.decisions)).map(
        (r) => DecisionEventSchema.or(FilterEventSchema).parse(JSON.parse(r.value.toString())).data,
      );
      expect(log.filter((l) => l.decisionId === summary.decisionId)).toEqual([
        expect.objectContaining({ kind: 'filter', cohortSize: 3, permitted: 1, cohortSha256: summary.cohortSha256 }),
      ]);
    });
    it('an unapproved purpose denies the whole cohort; a malformed id is a 400 naming its index', async () => {
      const res = await s.call('/v1/decisions:filter?purpose=product-development&dataCategory=ehr', acad, {
        raw: JSON.stringify([A]),
      });
      expect((await res.text()).split('\n')[0]).toBe(
        JSON.stringify({ subject: A, decision: 'deny', reasons: ['data-user-not-approved'] }),
      );
      const bad = await s.call('/v1/decisions:filter?purpose=research&dataCategory=ehr', acad, {
        raw: JSON.stringify([A, 'sub_x']),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).errors[0].pointer).toBe('#/1');
      expect((await s.call('/v1/decisions:filter?purpose=nope&dataCategory=ehr', acad, { raw: '[]' })).status).toBe(
        400,
      );
      expect(
        (
          await s.call(`/v1/decisions:filter?purpose=research&dataCategory=ehr&dataUserId=${DU_OTHER}`, acad, {
            raw: '[]',
          })
        ).status,
      ).toBe(403);
    });
  });

  describe('releases', () => {
    it(
      "a hospital records a release: one release.recorded per subject in the subject's fold; retry writes nothing; " +
        'data users see only their own',
      async () => {
        const body = {
          releaseId: `rel-${runId}`,
          dataUserId: DU_ACAD,
          purpose: 'research',
          dataCategories: ['ehr'],
          subjects: [A, B],
        };
        const first = await s.call('/v1/releases', hospital, { body });
        expect(first.status).toBe(202);
        expect(await first.json()).toEqual({ releaseId: body.releaseId, recorded: 2, replayed: 0 });
        const again = await s.call('/v1/releases', hospital, { body });
        expect(await again.json()).toEqual({ releaseId: body.releaseId, recorded: 0, replayed: 2 });
        const state = (await (await s.call(`/v1/subjects/${A}/consent`, auditor)).json()) as any;
        expect(state.releases).toEqual([
          expect.objectContaining({
            releaseId: body.releaseId,
            dataUserId: DU_ACAD,
            eventId: `${body.releaseId}.${A}`,
          }),
        ]);
        const own = (await (await s.call('/v1/releases', acad)).json()) as any;
        expect(own.releases).toEqual([
          expect.objectContaining({ releaseId: body.releaseId, subjects: 2, source: 'org:rxh' }),
        ]);
        expect(((await (await s.call('/v1/releases', other)).json()) as any).releases).toEqual([]);
        expect((await s.call(`/v1/releases?dataUserId=${DU_ACAD}`, other)).status).toBe(403);
        expect((await s.call('/v1/releases', acad, { body })).status).toBe(403);
        const unknownUser = await s.call('/v1/releases', hospital, {
          body: { ...body, releaseId: `rel2-${runId}`, dataUserId: `du_nobody_${runId}` },
        });
        expect(unknownUser.status).toBe(422);
      },
    );
  });

  it('serves a valid OpenAPI 3.1 document', async () => {
    const doc = (await (await fetch(`${s.query.url}/openapi.json`)).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/decisions',
        '/v1/decisions:filter',
        '/v1/subjects/{id}/fhir',
        '/v1/data-users',
        '/v1/releases',
      ]),
    );
    const { validate } = await import('@readme/openapi-parser');
    await expect(validate(structuredClone(doc))).resolves.toMatchObject({ valid: true });
  });

  it('projection store down: 503 with Retry-After, never a guess', async () => {
    // A second query instance pointed at a port where no database listens (the shared FerretDB stays up).
    const port = 18252;
    const proc = spawn(process.execPath, ['--import', 'tsx', 'services/query/main.ts'], {
      env: {
        ...process.env,
        ...s.env,
        QUERY_PORT: String(port),
        MONGO_URL: 'mongodb://127.0.0.1:18259/?directConnection=true',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      let health = false;
      for (let i = 0; i < 150 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!health) await new Promise((r) => setTimeout(r, 200));
      }
      expect(health).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      const res = await fetch(`http://127.0.0.1:${port}/v1/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${acad}` },
        body: JSON.stringify({ subject: A, purpose: 'research', dataCategory: 'ehr' }),
      });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as any).decision).toBeUndefined();
    } finally {
      proc.kill('SIGKILL');
    }
  }, 60_000);
});
