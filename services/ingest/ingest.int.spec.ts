// The ingest service as a real process against the real Kafka and FerretDB of the test stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { testEnv, runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import { readTopic } from '../../test/harness/ledger.js';
import { syntheticNhsNumbers, invalidNhsNumber } from '../../test/harness/nhsNumbers.js';
import { createKafka } from '../../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../../adapters/mongo.js';
import { CredentialStore } from '../../access/credentials.js';
import { createTestTopics, type TestTopics } from '../../test/harness/topics.js';
import { eventHash } from '../../contracts/consent/canonical.js';
import { dropTestDatabase } from '../../test/harness/databases.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `ingest-test-${runId}` });
const port = 18180;
const db = `ingest_test_${runId}`;
let env: Record<string, string> = { INGEST_PORT: String(port), MONGO_DB: db, LEDGER_ACK_DEADLINE_MS: '3000' };
let topics: TestTopics;
const [nhsA, nhsB, nhsC] = syntheticNhsNumbers(3);
const subjectOk = 'sub_ingestTestSubject0001';

const given = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'org:rxh',
  type: 'consent.given',
  dataversion: 1,
  subject: subjectOk,
  data: {
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    scope: {
      purposes: ['research'],
      dataCategories: '*',
      dataUserCategories: ['nhs', 'academic'],
      jurisdictions: ['uk'],
    },
    capture: { channel: 'in-person', setting: 'routine' },
    policyVersion: '2026-01',
  },
  ...extra,
});

async function ledgerRecordsFor(ids: string[]) {
  const all = await readTopic(kafka, topics.names.ledger);
  return all.filter((r) => ids.includes(JSON.parse(r.value.toString()).id));
}

describe('ingest: hospital systems write to the ledger', () => {
  let ingest: RunningService;
  let mongo: MongoHandle;
  let keyA: string, keyB: string;
  const post = (path: string, body: unknown, key: string | null = keyA, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    });

  beforeAll(async () => {
    topics = await createTestTopics(kafka, `ingest-${runId}`);
    env = { ...env, ...topics.env };
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
    const creds = new CredentialStore(mongo.db);
    keyA = (await creds.create('hospital', 'org:rxh')).apiKey;
    keyB = (await creds.create('hospital', 'org:gp-b')).apiKey;
    ingest = await startService('ingest', env, port, `ingest-${runId}`);
  });
  afterAll(async () => {
    await ingest?.stop();
    if (mongo) await dropTestDatabase(mongo.db);
    await mongo?.close();
  });

  it("a valid event gets a 202 receipt and is on the ledger at the receipt's partition and offset", async () => {
    const res = await post('/v1/events', given(`t-${runId}-1`));
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as any;
    const [record] = await ledgerRecordsFor([`t-${runId}-1`]);
    expect(record).toBeDefined();
    expect({ partition: record!.partition, offset: record!.offset }).toEqual({
      partition: receipt.ledger.partition,
      offset: receipt.ledger.offset,
    });
    const onLedger = JSON.parse(record!.value.toString());
    expect(onLedger.recordedtime).toBe(receipt.recordedAt);
    expect(onLedger.time).toBe(onLedger.data.occurredAt); // CloudEvents time: the occurrence
    expect(`sha256:${eventHash(onLedger)}`).toBe(receipt.hash);
    expect(record!.key).toBe(subjectOk);
  });

  it('the same event again returns the same receipt and writes nothing new', async () => {
    const body = given(`t-${runId}-retry`);
    const first = await post('/v1/events', body);
    const second = await post('/v1/events', body);
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()) as any).toEqual((await first.json()) as any);
    expect(await ledgerRecordsFor([`t-${runId}-retry`])).toHaveLength(1);
  });

  it('the same id with different content is a 409 and nothing is written', async () => {
    await post('/v1/events', given(`t-${runId}-conf`));
    const res = await post('/v1/events', given(`t-${runId}-conf`, { subject: 'sub_someoneElseEntirely01' }));
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).errors[0].pointer).toBe('#/id');
    expect(await ledgerRecordsFor([`t-${runId}-conf`])).toHaveLength(1);
  });

  it('an NHS number is pseudonymised at once: the ledger carries the pseudonym, never the number', async () => {
    const res = await post('/v1/events', given(`t-${runId}-nhs`, { subject: undefined, nhsNumber: nhsA }));
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as any;
    expect(receipt.subject).toMatch(/^sub_[A-Za-z0-9_-]{43}$/);
    const again = await post('/v1/events', given(`t-${runId}-nhs2`, { subject: undefined, nhsNumber: nhsA }));
    expect(((await again.json()) as any).subject).toBe(receipt.subject); // one person, one pseudonym
    const [record] = await ledgerRecordsFor([`t-${runId}-nhs`]);
    expect(record!.value.toString()).not.toContain(nhsA);
  });

  it('a bad check digit is a 422 that does not echo the number', async () => {
    const bad = invalidNhsNumber(nhsB!);
    const res = await post('/v1/events', given(`t-${runId}-badnhs`, { subject: undefined, nhsNumber: bad }));
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain('/nhsNumber');
    expect(text).not.toContain(bad);
  });

  it('writing for another organisation is 403 and writes nothing', async () => {
    const res = await post('/v1/events', given(`t-${runId}-other`), keyB);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).errors[0].pointer).toBe('#/source');
    expect(await ledgerRecordsFor([`t-${runId}-other`])).toHaveLength(0);
  });

  it('no credential is 401; a wrong one is 401', async () => {
    expect((await post('/v1/events', given(`t-${runId}-anon`), null)).status).toBe(401);
    expect((await post('/v1/events', given(`t-${runId}-anon`), 'cl.AAAAAAAAAAAA.' + 'x'.repeat(43))).status).toBe(401);
  });

  it.each([
    ['unknown event type', { type: 'consent.maybe' }, 422, '#/type'],
    ['missing field', { data: { occurredAt: new Date().toISOString() } }, 422, '#/data/scope'],
    [
      'scope value outside the vocabulary',
      { data: { ...given('x').data, scope: { ...given('x').data.scope, purposes: ['marketing'] } } },
      422,
      '#/data/scope/purposes/0',
    ],
    [
      'occurredAt in the future',
      { data: { ...given('x').data, occurredAt: new Date(Date.now() + 3_600_000).toISOString() } },
      422,
      '#/data/occurredAt',
    ],
    [
      'occurredAt absurdly old',
      { data: { ...given('x').data, occurredAt: '1850-01-01T00:00:00Z' } },
      422,
      '#/data/occurredAt',
    ],
    ['a server-set field', { time: new Date().toISOString() }, 422, '#/time'],
  ])('%s is refused naming the field, nothing written', async (_name, patch, status, pointer) => {
    const id = `t-${runId}-bad-${pointer.replace(/\W/g, '')}`;
    const res = await post('/v1/events', { ...given(id), ...patch });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await res.json()) as any).errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await ledgerRecordsFor([id])).toHaveLength(0);
  });

  it('non-JSON is 400, a non-JSON content type 415, an oversize body 413', async () => {
    expect((await post('/v1/events', '{"not json')).status).toBe(400);
    expect((await post('/v1/events', 'hello', keyA, { 'content-type': 'text/plain' })).status).toBe(415);
    const huge = given(`t-${runId}-huge`, { padding: 'x'.repeat(100_000) });
    const res = await post('/v1/events', huge);
    expect(res.status).toBe(413);
    expect(await ledgerRecordsFor([`t-${runId}-huge`])).toHaveLength(0);
  });

  it('a consent naming a policy version the deployment does not hold is a 422 naming the field; nothing written', async () => {
    const id = `t-${runId}-policy`;
    const e = given(id);
    const res = await post('/v1/events', { ...e, data: { ...e.data, policyVersion: '1999-01' } });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { pointer: string; detail: string }[] };
    expect(problem.errors).toEqual([
      expect.objectContaining({ pointer: '#/data/policyVersion', detail: expect.stringContaining('2026-01') }),
    ]);
    expect(await ledgerRecordsFor([id])).toHaveLength(0);
  });

  it('a batch is all-or-nothing and reports every bad item by index', async () => {
    const ids = [0, 1, 2, 3].map((i) => `t-${runId}-b${i}`);
    const events = ids.map((id) => given(id));
    events[1] = { ...events[1]!, type: 'nope' };
    events[3] = { ...events[3]!, source: 'org:gp-b' };
    const res = await post('/v1/events:batch', { events });
    expect(res.status).toBe(403);
    const pointers = ((await res.json()) as any).errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['#/events/1/type', '#/events/3/source']));
    expect(await ledgerRecordsFor(ids)).toHaveLength(0);

    const good = ids.map((id, i) => given(id, { subject: undefined, nhsNumber: syntheticNhsNumbers(4, 4242 + i)[i] }));
    const ok = await post('/v1/events:batch', { events: good });
    expect(ok.status).toBe(202);
    const body = (await ok.json()) as any;
    expect(body.receipts.map((r: { eventId: string }) => r.eventId)).toEqual(ids);
    const again = await post('/v1/events:batch', { events: good });
    expect(((await again.json()) as any).receipts).toEqual(body.receipts);
    expect(await ledgerRecordsFor(ids)).toHaveLength(4);
  });

  it('several ingest instances: a retry at the other instance gets the same receipt', async () => {
    const other = await startService('ingest', { ...env, INGEST_PORT: String(port + 1) }, port + 1, `ingest2-${runId}`);
    try {
      const body = given(`t-${runId}-multi`, { subject: undefined, nhsNumber: nhsC });
      const [r1, r2] = await Promise.all([
        post('/v1/events', body),
        fetch(`${other.url}/v1/events`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keyA}` },
        }),
      ]);
      expect([r1.status, r2.status]).toEqual([202, 202]);
      expect((await r1.json()) as any).toEqual((await r2.json()) as any);
      expect(await ledgerRecordsFor([`t-${runId}-multi`])).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });

  it('a restart keeps idempotency: the retry after restart writes nothing new', async () => {
    const body = given(`t-${runId}-restart`);
    const before = (await (await post('/v1/events', body)).json()) as any;
    await ingest.stop();
    ingest = await startService('ingest', env, port, `ingest-${runId}`);
    const after = await post('/v1/events', body);
    expect((await after.json()) as any).toEqual(before);
    expect(await ledgerRecordsFor([`t-${runId}-restart`])).toHaveLength(1);
  });

  it('the consent receipt for the person names the pseudonym, purposes and how to withdraw', async () => {
    await post('/v1/events', given(`t-${runId}-cr`));
    const res = await fetch(`http://127.0.0.1:${port}/v1/receipts/t-${runId}-cr`, {
      headers: { authorization: `Bearer ${keyA}` },
    });
    expect(res.status).toBe(200);
    const cr = (await res.json()) as any;
    expect(cr).toMatchObject({
      piiPrincipalId: subjectOk,
      piiControllers: [{ piiController: 'org:rxh' }],
      collectionMethod: 'in-person (routine)',
    });
    expect(cr.services[0].purposes.map((p: { purpose: string }) => p.purpose)).toEqual(['research']);
    expect(cr.withdrawal).toMatch(/withdraw/);
    const other = await fetch(`http://127.0.0.1:${port}/v1/receipts/t-${runId}-cr`, {
      headers: { authorization: `Bearer ${keyB}` },
    });
    expect(other.status).toBe(404);
  });

  it('the OpenAPI document is served and is a valid OpenAPI 3.1 document', async () => {
    const doc = (await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/events:batch', '/v1/receipts/{eventId}']),
    );
    const { validate } = await import('@readme/openapi-parser');
    await expect(validate(structuredClone(doc))).resolves.toMatchObject({ valid: true });
  });

  it('Kafka stopped: 503 with Retry-After; after it is back the same request succeeds exactly once', async () => {
    const body = given(`t-${runId}-down`);
    const kafkaScript = 'infra/kafka/kafka.sh';
    execFileSync(kafkaScript, ['stop'], { env: { ...process.env, STACK: 'test' } });
    try {
      const res = await post('/v1/events', body);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      execFileSync(kafkaScript, ['start'], { env: { ...process.env, STACK: 'test' } });
    }
    let ok: Response | undefined;
    for (let i = 0; i < 30 && ok?.status !== 202; i++) {
      ok = await post('/v1/events', body);
      if (ok.status !== 202) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(ok!.status).toBe(202);
    expect(await ledgerRecordsFor([`t-${runId}-down`])).toHaveLength(1);
  }, 180_000);

  it('no raw NHS number in the ingest logs or on the ledger', async () => {
    const logs = readFileSync(ingest.logFile, 'utf8');
    const ledger = (await readTopic(kafka, topics.names.ledger)).map((r) => r.value.toString()).join('\n');
    for (const n of [nhsA!, nhsB!, nhsC!, invalidNhsNumber(nhsB!)]) {
      expect(logs).not.toContain(n);
      expect(ledger).not.toContain(n);
    }
    const receiptsDocs = JSON.stringify([
      ...(await mongo.db.collection('ingest_receipts').find({}).toArray()),
      ...(await mongo.db.collection('ingest_receipts_written').find({}).toArray()),
    ]);
    expect(receiptsDocs).toContain('sub_'); // the collections were really read
    for (const n of [nhsA!, nhsC!]) expect(receiptsDocs).not.toContain(n);
  });
});
