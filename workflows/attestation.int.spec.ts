// Attested deletion through the public API on the real servers: four data users hold a subject's data;
// a withdrawal reaches each; each acknowledges through POST /v1/revocations/{noticeId}/acknowledgement
// with one kind of attestation (deleted; derived data deleted; a trained model retained under a legal
// basis) or none at all (as clients did before attestations), and the withdrawal status and the
// audit API read each back. A revocation.acknowledged written at dataversion 1 — straight onto the
// ledger, as the ledger holds it from before attestations — reads back as acknowledged, not attested.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotentProducer } from '../adapters/kafka.js';
import type { Attestation } from '../contracts/consent/attestation.js';
import { canonicalJson } from '../contracts/consent/canonical.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { given, released, revocationSent, withdrawalCompleted, withdrawn } from '../contracts/consent/fixtures.js';
import { structuredModeHeaders } from '../contracts/topics.js';
import { sealerKeys } from '../test/harness/auditLedger.js';
import { startService, type RunningService } from '../test/harness/service.js';
import { runId } from '../test/serverEnv.js';
import { eventually, startWorkflowStack, testPolicy, type WorkflowStack } from '../test/e2e/workflowKit.js';
import { noticeIdFor } from './activities/ids.js';

const policy = testPolicy({ coolingOffS: 60, ackS: 120 });
const tag = runId.replace(/[^A-Za-z0-9]/g, '');
const SUBJECT = `sub_attest_${tag}`.padEnd(20, '_');
const OLD_SUBJECT = `sub_attest_old_${tag}`.padEnd(20, '_');
const ports = { projector: 18470, dispatcher: 18471, worker: 18472, api: 18473, audit: 18474 };
const iso = (ms = Date.now()) => new Date(ms).toISOString();
/** A problem's pointer as a JSON Pointer (the problem mapping writes it as a URI fragment, `#/…`). */
const field = (pointer: string) => pointer.replace(/^#/, '');

const by = (role: Attestation['performedBy']['role']) => ({
  performedAt: iso(Date.now() - 60_000),
  performedBy: { role },
});
const ATTESTATIONS: Record<string, Attestation | undefined> = {
  [`du_del_${tag}`]: { action: 'deleted', ...by('data-custodian') },
  [`du_derived_${tag}`]: {
    action: 'derived-data-deleted',
    ...by('information-governance-lead'),
    evidenceSha256: 'a'.repeat(64),
  },
  [`du_model_${tag}`]: {
    action: 'retained',
    retained: 'trained-model',
    legalBasis: 'research-impossible-without',
    basisReference: 'DPIA-2026-04 s.7',
    ...by('data-protection-officer'),
  },
  [`du_bare_${tag}`]: undefined, // an acknowledgement without a body
};
const EXPECTED_STATUS: Record<string, string> = {
  [`du_del_${tag}`]: 'attested-deleted',
  [`du_derived_${tag}`]: 'attested-deleted',
  [`du_model_${tag}`]: 'retained-with-basis',
  [`du_bare_${tag}`]: 'acknowledged-without-attestation',
};
const holders = Object.keys(ATTESTATIONS);

interface Report {
  withdrawalId: string;
  status: string;
  holders: (Omit<Holder, 'attestation'> & { attestation?: Attestation })[];
}

interface Holder {
  dataUserId: string;
  status: string;
  acknowledgedAt: string | null;
  attestation: Attestation | null;
}

describe('attested deletion (real Kafka, Temporal, worker, revocation and audit APIs)', () => {
  let stack: WorkflowStack;
  let audit: RunningService;
  let auditor: string;
  const keys = new Map<string, string>();
  const withdrawalId = `${tag}-w-attest`;
  const oldWithdrawalId = `${tag}-w-old`;

  beforeAll(async () => {
    stack = await startWorkflowStack(`att-${runId}`, ports, policy);
    auditor = await stack.key('auditor', 'auditor:test');
    for (const id of holders) keys.set(id, await stack.key('dataUser', id));
    const t0 = Date.now() - 10_000;
    await stack.append([
      given(`${tag}-c`, iso(t0), { subject: SUBJECT }),
      ...holders.map((id) => released(`${tag}-rel`, id, iso(t0 + 1000), { subject: SUBJECT })),
    ]);
    await stack.append([withdrawn(withdrawalId, iso(), { subject: SUBJECT })]);
    await writeVersion1History();
    audit = await startService(
      'audit',
      { ...stack.env, AUDIT_PUBLIC_KEY: sealerKeys().publicKeyBase64, AUDIT_PORT: String(ports.audit) },
      ports.audit,
      `attest-audit-${runId}`,
    );
  }, 120_000);
  afterAll(async () => {
    await audit?.stop();
    await stack?.close();
  }, 60_000);

  /** A withdrawal propagated before attestations existed: its acknowledgement is a version-1 record. */
  async function writeVersion1History() {
    const at = (s: number) => iso(Date.now() - 100_000 + s * 1000);
    const o = { subject: OLD_SUBJECT };
    const ack = {
      specversion: '1.0',
      id: `${oldWithdrawalId}.ack.du_old`,
      source: 'sys:workflows',
      type: 'revocation.acknowledged',
      subject: OLD_SUBJECT,
      time: at(3),
      datacontenttype: 'application/json',
      dataversion: 1,
      data: {
        occurredAt: at(3),
        withdrawalId: oldWithdrawalId,
        dataUserId: 'du_old',
        noticeId: `ntc.${oldWithdrawalId}.du_old`,
      },
    };
    await stack.append([withdrawn(oldWithdrawalId, at(0), o), revocationSent(oldWithdrawalId, 'du_old', at(1), o)]);
    // Raw bytes, as a writer of that time produced them (the ledger writer would upcast before writing).
    const producer = createIdempotentProducer(stack.kafka);
    await producer.connect();
    await producer.send({
      topic: stack.topics.names.ledger,
      acks: -1,
      messages: [
        {
          key: OLD_SUBJECT,
          value: canonicalJson(ack),
          headers: structuredModeHeaders(),
        },
      ],
    });
    await producer.disconnect();
    await stack.append([withdrawalCompleted(oldWithdrawalId, ['du_old'], at(4), o)]);
  }

  const acknowledge = (dataUserId: string, noticeId: string, body?: unknown) =>
    stack.call(`/v1/revocations/${noticeId}/acknowledgement`, keys.get(dataUserId)!, 'POST', body);
  const noticeOf = (dataUserId: string) =>
    eventually(
      async () => {
        const res = await stack.call('/v1/revocations', keys.get(dataUserId)!);
        const page = (await res.json()) as { items: { noticeId: string; withdrawalId: string }[] };
        return page.items.find((n) => n.withdrawalId === withdrawalId)?.noticeId;
      },
      60_000,
      `the notice of ${dataUserId}`,
    );

  it('refuses a malformed attestation, naming the field, and writes nothing', async () => {
    const id = `du_model_${tag}`;
    const noticeId = await noticeOf(id);
    const noBasis = { attestation: { ...ATTESTATIONS[id], legalBasis: undefined } };
    const r1 = await acknowledge(id, noticeId, JSON.parse(JSON.stringify(noBasis)));
    expect(r1.status).toBe(422);
    expect(((await r1.json()) as { errors: { pointer: string }[] }).errors.map((e) => field(e.pointer))).toEqual([
      '/attestation/legalBasis',
    ]);
    const future = { attestation: { ...ATTESTATIONS[id], performedAt: iso(Date.now() + 86_400_000) } };
    const r2 = await acknowledge(id, noticeId, future);
    expect(r2.status).toBe(422);
    expect(((await r2.json()) as { errors: { pointer: string }[] }).errors.map((e) => field(e.pointer))).toEqual([
      '/attestation/performedAt',
    ]);
    const r3 = await acknowledge(id, noticeId, { attestation: { action: 'forgotten', ...by('data-custodian') } });
    expect(r3.status).toBe(422);
    const notice = (await (await stack.call(`/v1/revocations/${noticeId}`, keys.get(id)!)).json()) as {
      acknowledgementReceivedAt: string | null;
    };
    expect(notice.acknowledgementReceivedAt).toBeNull();
  });

  it('each kind of attestation reads back in the withdrawal status, per holder', async () => {
    for (const id of holders) {
      const noticeId = await noticeOf(id);
      const a = ATTESTATIONS[id];
      const res = await acknowledge(id, noticeId, a && { attestation: a });
      expect(res.status).toBe(202);
      expect(((await res.json()) as { attestation: unknown }).attestation).toEqual(a ?? null);
    }
    // A repeat with the same attestation is idempotent; with another one it is refused (the first stands).
    const del = `du_del_${tag}`;
    const delNotice = noticeIdFor(withdrawalId, del);
    expect((await acknowledge(del, delNotice, { attestation: ATTESTATIONS[del] })).status).toBe(202);
    const other = await acknowledge(del, delNotice, {
      attestation: { ...ATTESTATIONS[del], action: 'derived-data-deleted' },
    });
    expect(other.status).toBe(409);

    const done = await eventually(
      async () => {
        const s = await stack.withdrawalStatus(withdrawalId, auditor);
        return s?.status === 'completed' ? (s as unknown as { holders: Holder[] }) : undefined;
      },
      90_000,
      'the withdrawal completed',
    );
    expect(Object.fromEntries(done.holders.map((h) => [h.dataUserId, h.status]))).toEqual(EXPECTED_STATUS);
    for (const h of done.holders) {
      expect(h.acknowledgedAt).not.toBeNull();
      expect(h.attestation).toEqual(ATTESTATIONS[h.dataUserId] ?? null);
    }

    // On the ledger: revocation.acknowledged at dataversion 2, each with its attestation.
    const acks = new Map(
      (await stack.ledger())
        .filter((e) => e.type === 'revocation.acknowledged' && e.subject === SUBJECT)
        .map((e) => [e.id, e as Extract<LedgerEvent, { type: 'revocation.acknowledged' }>]),
    );
    expect([...acks.values()].map((e) => [e.data.dataUserId, e.dataversion, e.data.attestation]).sort()).toEqual(
      holders.map((id) => [id, 2, ATTESTATIONS[id] ?? null]).sort(),
    );
  }, 150_000);

  it('the audit API reads each back from the ledger, and the version-1 acknowledgement as not attested', async () => {
    const get = (path: string) => fetch(`${audit.url}${path}`, { headers: { authorization: `Bearer ${auditor}` } });
    const withdrawals = await eventually(
      async () => {
        const res = await get('/v1/audit/withdrawals');
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { withdrawals: Report[] };
        const w = body.withdrawals.find((x) => x.withdrawalId === withdrawalId);
        return w?.status === 'completed' ? body.withdrawals : undefined;
      },
      60_000,
      'the audit to see the completed withdrawal',
    );
    const current = withdrawals.find((w) => w.withdrawalId === withdrawalId)!;
    expect(Object.fromEntries(current.holders.map((h) => [h.dataUserId, h.status]))).toEqual(EXPECTED_STATUS);
    for (const h of current.holders) expect(h.attestation).toEqual(ATTESTATIONS[h.dataUserId]);
    const old = withdrawals.find((w) => w.withdrawalId === oldWithdrawalId)!;
    expect(old.holders).toEqual([
      expect.objectContaining({ dataUserId: 'du_old', status: 'acknowledged-without-attestation' }),
    ]);
    expect(old.holders[0]!.attestation).toBeUndefined();

    const html = await (await get('/v1/audit/report?format=html')).text();
    expect(html).toContain('What data users attested');
    expect(html).toContain('trained-model under research-impossible-without (DPIA-2026-04 s.7)');
    for (const s of ['attested-deleted', 'retained-with-basis', 'acknowledged-without-attestation'])
      expect(html).toContain(s);
  }, 120_000);
});
