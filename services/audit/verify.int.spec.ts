// The sealer as a real process on a test ledger, restarted mid-way; then verify against the untouched
// ledger (clean) and against tampered copies (each caught, and named by partition and offset).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testEnv, runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import { createTestTopics, type TestTopics } from '../../test/harness/topics.js';
import { readTopic } from '../../test/harness/ledger.js';
import { createKafka, partitionForKey } from '../../adapters/kafka.js';
import { given, withdrawn, optOut, day } from '../../contracts/consent/fixtures.js';
import { canonicalBytes } from '../../contracts/consent/canonical.js';
import { CheckpointSchema, signCheckpoint } from '../../contracts/checkpoint.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { verifyLedger } from './verify.js';
import { copyTopic, sealerKeys, waitSealed, writeEvents } from '../../test/harness/auditLedger.js';

const run = promisify(execFile);
const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `audit-verify-${runId}` });
const port = 18350;
const keys = sealerKeys();
const A = `sub_auditVerifyA${runId}`;
const B = `sub_auditVerifyB${runId}`;
let topics: TestTopics;
let sealer: RunningService | undefined;
let env: Record<string, string>;
const P = partitionForKey(A, 12);
const I = 5; // the position (= offset) on partition P that each tamper test changes

const eventsOf = (subject: string, n: number, from: number): LedgerEvent[] =>
  Array.from({ length: n }, (_, i) => {
    const k = from + i;
    const id = `${subject}.e${k}`;
    return k % 3 === 0
      ? given(id, day(k), { subject })
      : k % 3 === 1
        ? optOut(id, day(k), { subject })
        : withdrawn(id, day(k), { subject });
  });

const startSealer = () => startService('sealer', env, port, `sealer-${runId}`);
const verifyCopy = (ledgerTopic: string, checkpointsTopic = topics.names.checkpoints) =>
  verifyLedger(kafka, { ledgerTopic, checkpointsTopic, sealedTopic: topics.names.ledger, trustedKey: keys.publicKey });

describe('sealer and audit verify', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `audit-${runId}`);
    env = {
      ...topics.env,
      SEALER_PORT: String(port),
      SEALER_SIGNING_KEY: keys.signingKeyBase64,
      SEALER_EVERY_RECORDS: '4',
      SEALER_EVERY_MS: '300',
      SEALER_GROUP: `sealer-${runId}`,
    };
    await writeEvents(kafka, topics.names.ledger, [...eventsOf(A, 10, 0), ...eventsOf(B, 3, 0)]);
    sealer = await startSealer();
    await waitSealed(kafka, topics.names.ledger, topics.names.checkpoints);
  });
  afterAll(async () => {
    await sealer?.kill();
    // The tampered copies are this file's own; drop them (the test topics stay, as in every test file).
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${topics.names.ledger}.`) || t.startsWith(`${topics.names.checkpoints}.`),
    );
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  });

  it('a sealer killed and restarted resumes after its last checkpoint: no gap, no duplicate chain', async () => {
    await sealer!.kill();
    await writeEvents(kafka, topics.names.ledger, eventsOf(A, 8, 10));
    // A new consumer group: the restart must not rely on committed offsets (and need not wait out the
    // killed member's session).
    env = { ...env, SEALER_GROUP: `sealer-${runId}-restarted` };
    sealer = await startSealer();
    await waitSealed(kafka, topics.names.ledger, topics.names.checkpoints);
    // (Records without a value are the marks each sealer commits when it claims a partition.)
    const raw = (await readTopic(kafka, topics.names.checkpoints))
      .filter((r) => r.value !== null)
      .map((r) => CheckpointSchema.parse(JSON.parse(r.value.toString())));
    const onP = raw.filter((c) => c.partition === P);
    expect(onP.map((c) => c.sequence)).toEqual(onP.map((_, i) => i)); // each sequence once, in order
    expect(onP.map((c) => c.fromOffset)).toEqual(
      onP.map((_, i) => (i === 0 ? '0' : String(BigInt(onP[i - 1]!.toOffset) + 1n))),
    );
    expect(onP.reduce((n, c) => n + c.count, 0)).toBe(18 + (partitionForKey(B, 12) === P ? 3 : 0));
  });

  it('the untouched ledger verifies clean, as a function and as the CLI (exit 0)', async () => {
    const report = await verifyLedger(kafka, {
      ledgerTopic: topics.names.ledger,
      checkpointsTopic: topics.names.checkpoints,
      trustedKey: keys.publicKey,
    });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, totals: { records: 21, sealedRecords: 21, unsealed: 0, duplicates: 0 } });
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    writeFileSync(join(dir, 'sealer.pem'), keys.publicKeyPem);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'services/audit/cli.ts', '--json', 'verify', '--public-key', join(dir, 'sealer.pem')],
      { env: { ...process.env, ...topics.env } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, totals: { records: 21 } });
  });

  it('catches a rewritten payload at its offset', async () => {
    const target = `${topics.names.ledger}.modified`;
    await copyTopic(kafka, topics.names.ledger, target, P, (rs) =>
      rs.map((r, i) => {
        if (i !== I) return r;
        const e = JSON.parse(r.value.toString());
        return { ...r, value: canonicalBytes({ ...e, data: { ...e.data, occurredAt: day(99) } }) };
      }),
    );
    const report = await verifyCopy(target);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ partition: P, offset: String(I), kind: 'modified' })]);
  });

  it('catches a dropped record at its offset', async () => {
    const target = `${topics.names.ledger}.dropped`;
    await copyTopic(kafka, topics.names.ledger, target, P, (rs) => rs.filter((_, i) => i !== I));
    expect((await verifyCopy(target)).problems).toEqual([
      expect.objectContaining({ partition: P, offset: String(I), kind: 'deleted' }),
    ]);
  });

  it('catches an inserted record at its offset', async () => {
    const target = `${topics.names.ledger}.inserted`;
    const forged = given(`${A}.forged`, day(4), { subject: A });
    await copyTopic(kafka, topics.names.ledger, target, P, (rs) => [
      ...rs.slice(0, I),
      { ...rs[0]!, value: canonicalBytes(forged) },
      ...rs.slice(I),
    ]);
    expect((await verifyCopy(target)).problems).toEqual([
      expect.objectContaining({ partition: P, offset: String(I), kind: 'inserted' }),
    ]);
  });

  it('catches two swapped records and names the pair (the CLI exits non-zero)', async () => {
    const target = `${topics.names.ledger}.swapped`;
    await copyTopic(kafka, topics.names.ledger, target, P, (rs) => [
      ...rs.slice(0, I),
      rs[I + 1]!,
      rs[I]!,
      ...rs.slice(I + 2),
    ]);
    expect((await verifyCopy(target)).problems).toEqual([
      expect.objectContaining({ partition: P, offset: String(I), kind: 'reordered' }),
    ]);
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'services/audit/cli.ts', 'verify', '--sealed-topic', topics.names.ledger],
      { env: { ...process.env, ...topics.env, LEDGER_TOPIC: target, AUDIT_PUBLIC_KEY: keys.publicKeyBase64 } },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (e: unknown) => e as { code: number; stdout: string },
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`partition ${P} offset ${I}: reordered`);
  });

  it('catches a checkpoint re-signed with another key, naming its range', async () => {
    const target = `${topics.names.checkpoints}.forged`;
    const other = sealerKeys();
    let forgedFrom = '';
    await copyTopic(kafka, topics.names.checkpoints, target, 0, (rs) =>
      rs.map((r) => {
        if (r.value === null) return r; // a sealer's claim mark
        const c = CheckpointSchema.parse(JSON.parse(r.value.toString()));
        if (c.partition !== P || c.sequence !== 1) return r;
        forgedFrom = c.fromOffset;
        const { signature: _s, ...body } = c;
        return { ...r, value: Buffer.from(JSON.stringify(signCheckpoint(body, other.privateKey))) };
      }),
    );
    const report = await verifyCopy(topics.names.ledger, target);
    expect(forgedFrom).not.toBe('');
    expect(report.problems).toEqual([
      expect.objectContaining({ partition: P, offset: forgedFrom, kind: 'forged-checkpoint' }),
    ]);
  });
});
