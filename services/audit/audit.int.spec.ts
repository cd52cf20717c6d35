// The audit API, replay, state --as-of and the HTML report against real services on a small test
// ledger: sealer, projector and query run as processes; the report opens in headless chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import { projectorTestBed, caughtUp, type ProjectorTestBed } from '../../test/harness/projector.js';
import { CredentialStore } from '../../access/credentials.js';
import { projectionReader } from '../../projections/reader.js';
import {
  activeGenerationName,
  generation,
  storedSubject,
  subjectOfStored,
  withoutId,
} from '../../projections/generation.js';
import { stateFingerprint } from '../../contracts/consent/fingerprint.js';
import {
  given,
  effective,
  withdrawn,
  optOut,
  revocationSent,
  revocationAcknowledged,
  revocationOverdue,
  withdrawalCompleted,
  day,
} from '../../contracts/consent/fixtures.js';
import { replayLedger } from './replay.js';
import { sealerKeys, waitSealed } from '../../test/harness/auditLedger.js';

const run = promisify(execFile);
const ports = { sealer: 18351, projector: 18352, audit: 18353, query: 18354 };
const keys = sealerKeys();
const S1 = `sub_auditApiOne${runId}`;
const S2 = `sub_auditApiTwo${runId}`;
const S3 = `sub_auditApiThree${runId}`;
const id = (s: string) => `${runId}.${s}`;
const w1 = id('w1'),
  w2 = id('w2');

describe('audit API, replay, state as of and report', () => {
  let bed: ProjectorTestBed;
  const procs: RunningService[] = [];
  let auditorKey: string, dataUserKey: string;
  let audit: RunningService, query: RunningService;
  const get = (svc: RunningService, path: string, key: string | null = auditorKey) =>
    fetch(`${svc.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'services/audit/cli.ts', ...args], {
      env: { ...process.env, ...bed.env, AUDIT_PUBLIC_KEY: keys.publicKeyBase64 },
    });

  beforeAll(async () => {
    bed = await projectorTestBed(`audit-api-${runId}`, ports.projector);
    const creds = new CredentialStore(bed.mongo.db);
    auditorKey = (await creds.create('auditor', 'org:audit-office')).apiKey;
    dataUserKey = (await creds.create('dataUser', 'du_auditApiUser')).apiKey;
    await bed.writer.appendAll([
      given(id('c1'), 1, { subject: S1 }),
      effective(id('c1'), 15, { subject: S1 }),
      withdrawn(w1, 20, { subject: S1 }),
      revocationSent(w1, 'du_alpha', 20.1, { subject: S1 }),
      revocationSent(w1, 'du_beta', 20.1, { subject: S1 }),
      revocationAcknowledged(w1, 'du_alpha', 22, { subject: S1 }),
      revocationOverdue(w1, 'du_beta', 50.1, { subject: S1 }),
      given(id('c2'), 2, { subject: S2 }),
      effective(id('c2'), 16, { subject: S2 }),
      withdrawn(w2, 25, { subject: S2 }),
      revocationSent(w2, 'du_alpha', 25.1, { subject: S2 }),
      revocationAcknowledged(w2, 'du_alpha', 27, { subject: S2 }),
      withdrawalCompleted(w2, ['du_alpha'], 27.5, { subject: S2 }),
      optOut(id('o3'), 5, { subject: S3, national: true }),
    ]);
    const env = {
      ...bed.env,
      SEALER_SIGNING_KEY: keys.signingKeyBase64,
      SEALER_EVERY_RECORDS: '5',
      SEALER_EVERY_MS: '300',
      SEALER_GROUP: `sealer-${runId}`,
      SEALER_PORT: String(ports.sealer),
    };
    procs.push(await startService('sealer', env, ports.sealer, `audit-sealer-${runId}`));
    procs.push(await startService('projector', bed.env, ports.projector, `audit-projector-${runId}`));
    audit = await startService(
      'audit',
      { ...bed.env, AUDIT_PUBLIC_KEY: keys.publicKeyBase64, AUDIT_PORT: String(ports.audit) },
      ports.audit,
      `audit-${runId}`,
    );
    query = await startService(
      'query',
      { ...bed.env, QUERY_PORT: String(ports.query) },
      ports.query,
      `audit-query-${runId}`,
    );
    procs.push(audit, query);
    await waitSealed(bed.kafka, bed.topics.names.ledger, bed.topics.names.checkpoints);
    await caughtUp(bed.kafka, bed.topics.names.ledger, projectionReader(bed.mongo.db));
  });
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await bed?.close();
  });

  it('serves the trusted public key publicly; everything else needs an auditor credential and nothing can be written', async () => {
    const pk = (await (await get(audit, '/v1/audit/public-key', null)).json()) as { publicKeyPem: string };
    expect(pk.publicKeyPem).toBe(keys.publicKeyPem);
    expect((await get(audit, '/v1/audit/verify', null)).status).toBe(401);
    expect((await get(audit, '/v1/audit/verify', dataUserKey)).status).toBe(403);
    const post = await fetch(`${audit.url}/v1/audit/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditorKey}` },
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const bad = await get(audit, `/v1/audit/subjects/${S1}/state?asOf=yesterday`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('#/asOf');
  });

  it('GET /v1/audit/verify: the ledger verifies clean', async () => {
    const res = await get(audit, '/v1/audit/verify');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, problems: [], totals: { records: 14, sealedRecords: 14 } });
  });

  it('replay matches the live projection, by fingerprints and (deep) by documents', async () => {
    const res = await get(audit, '/v1/audit/replay');
    expect(await res.json()).toMatchObject({
      ok: true,
      subjects: 3,
      records: 14,
      differenceCount: 0,
      compared: 'fingerprints',
    });
    const deep = await get(audit, '/v1/audit/replay?deep=true');
    expect(await deep.json()).toMatchObject({ ok: true, subjects: 3, differenceCount: 0, compared: 'documents' });
    expect((await get(audit, '/v1/audit/replay?deep=yes')).status).toBe(400);
  });

  it('replay names a subject the projector lost and one it folded wrongly (fingerprints), and a document changed behind the projector (deep)', async () => {
    const g = generation(bed.mongo.db, await activeGenerationName(bed.mongo.db));
    const [doc3, doc2] = [await g.subjects.findOne({ _id: S3 }), await g.subjects.findOne({ _id: S2 })];
    const [fp3, fp2] = [await g.fingerprints.findOne({ _id: S3 }), await g.fingerprints.findOne({ _id: S2 })];
    const state2 = withoutId(subjectOfStored(doc2!));
    expect(fp2).toMatchObject({ fingerprint: stateFingerprint(state2) });
    const replay = (deep: boolean) =>
      replayLedger(bed.kafka, projectionReader(bed.mongo.db), {
        ledgerTopic: bed.topics.names.ledger,
        maxEventsInMemory: 2,
        deep,
      });
    const expectLostAndWrong = async (deep: boolean) => {
      const report = await replay(deep);
      expect(report).toMatchObject({ ok: false, differenceCount: 2, compared: deep ? 'documents' : 'fingerprints' });
      expect(report.differences).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ subject: S3, kind: 'missing-in-projection' }),
          expect.objectContaining({ subject: S2, kind: 'differs', detail: 'differs in: facts' }),
        ]),
      );
    };
    try {
      // A document changed behind the projector: only the deep comparison reads it.
      const { _id: _s2, ...changed } = storedSubject({ ...subjectOfStored(doc2!), facts: [] });
      await g.subjects.replaceOne({ _id: S2 }, changed);
      expect(await replay(false)).toMatchObject({ ok: true });
      const behind = await replay(true);
      expect(behind.differences).toEqual([expect.objectContaining({ subject: S2, kind: 'differs' })]);
      // A projector that lost S3 and stored a wrong state of S2 (with its fingerprint): both comparisons.
      const wrong = { ...state2, facts: [] };
      await g.fingerprints.updateOne({ _id: S2 }, { $set: { fingerprint: stateFingerprint(wrong) } });
      await g.subjects.deleteOne({ _id: S3 });
      await g.fingerprints.deleteOne({ _id: S3 });
      await expectLostAndWrong(false);
      await expectLostAndWrong(true);
      // A fingerprint of a subject the ledger never had, read while the fold runs: extra.
      await g.fingerprints.insertOne({ _id: 'sub_neverOnTheLedger', fingerprint: fp2!.fingerprint, last: '-1' });
      expect((await replay(false)).differences).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ subject: 'sub_neverOnTheLedger', kind: 'extra-in-projection' }),
        ]),
      );
    } finally {
      await g.fingerprints.deleteOne({ _id: 'sub_neverOnTheLedger' });
      await g.subjects.insertOne(doc3!);
      await g.fingerprints.insertOne(fp3!);
      await g.subjects.replaceOne({ _id: S2 }, doc2!);
      await g.fingerprints.replaceOne({ _id: S2 }, fp2!);
    }
    expect(await replay(false)).toMatchObject({ ok: true, differenceCount: 0 });
  });

  it("state --as-of agrees with the query API's asOf at every instant (same fold), via CLI and audit API", async () => {
    for (const at of [day(0.5), day(1.5), day(15.5), day(20.5), day(60)]) {
      const fromQuery = (await (await get(query, `/v1/subjects/${S1}/consent?asOf=${at}`)).json()) as {
        choices: unknown[];
      };
      const fromAudit = (await (await get(audit, `/v1/audit/subjects/${S1}/state?asOf=${at}`)).json()) as {
        state: { choices: unknown[] };
        events: unknown[];
      };
      expect(fromQuery.choices).toBeInstanceOf(Array);
      expect(fromAudit.state.choices).toEqual(fromQuery.choices);
      if (at === day(15.5)) {
        const { stdout } = await cli('--json', 'state', S1, '--as-of', at);
        const fromCli = JSON.parse(stdout) as { state: { choices: unknown[] }; events: { id: string }[] };
        expect(fromCli.state.choices).toEqual(fromQuery.choices);
        expect(fromCli.events.map((e) => e.id)).toEqual([id('c1'), `${id('c1')}.effective`]);
        expect(fromCli.state.choices).toEqual([expect.objectContaining({ kind: 'consent', status: 'effective' })]);
      }
    }
  });

  it('withdrawals: each with its holders, acknowledged / overdue / complete', async () => {
    const { withdrawals } = (await (await get(audit, '/v1/audit/withdrawals')).json()) as { withdrawals: unknown[] };
    expect(withdrawals).toEqual([
      expect.objectContaining({
        withdrawalId: w1,
        subject: S1,
        status: 'overdue',
        holders: [
          expect.objectContaining({ dataUserId: 'du_alpha', status: 'acknowledged-without-attestation' }),
          expect.objectContaining({ dataUserId: 'du_beta', status: 'overdue' }),
        ],
      }),
      expect.objectContaining({
        withdrawalId: w2,
        subject: S2,
        status: 'completed',
        holders: [expect.objectContaining({ dataUserId: 'du_alpha', status: 'acknowledged-without-attestation' })],
        propagationHours: 60,
      }),
    ]);
    const since = (await (await get(audit, `/v1/audit/withdrawals?since=${day(21)}`)).json()) as {
      withdrawals: { withdrawalId: string }[];
    };
    expect(since.withdrawals.map((w) => w.withdrawalId)).toEqual([w2]);
    await expect(cli('withdrawals')).rejects.toMatchObject({ code: 1 }); // an overdue holder is a problem found
  });

  it('report: self-contained HTML and JSON; the HTML opens in headless chromium without errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-report-'));
    const { stdout } = await cli('--json', 'report', '--out', dir);
    const files = JSON.parse(stdout) as { html: string; json: string };
    const json = JSON.parse(readFileSync(files.json, 'utf8'));
    expect(json).toMatchObject({
      verification: { ok: true },
      summary: { subjects: 3, subjectsWithOptOut: 1, subjectsWithWithdrawal: 2 },
    });
    const html = readFileSync(files.html, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/|src=/i); // nothing to fetch, nothing to run
    const { stdout: chromium } = await run('infra/chromium.sh', [], { timeout: 600_000 });
    const bin = chromium.trim().split('\n').pop()!;
    const shot = join(dir, 'report.png');
    const common = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--enable-logging=stderr',
      '--v=0',
    ];
    const shotRun = await run(
      bin,
      [...common, `--screenshot=${shot}`, '--window-size=900,1500', `file://${files.html}`],
      { timeout: 120_000 },
    );
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(`${shotRun.stdout}${shotRun.stderr}`).not.toMatch(/CONSOLE|Uncaught|Failed to load resource/);
    const dom = await run(bin, [...common, '--dump-dom', `file://${files.html}`], {
      timeout: 120_000,
      maxBuffer: 8 << 20,
    });
    expect(dom.stdout).toContain('Verified: 14 of 14 records');
    expect(dom.stdout).toContain('du_beta');
    expect(dom.stdout).toMatch(/<svg[^>]*events per day/);
    console.log(`audit report screenshot: ${shot}`);
  });
});
