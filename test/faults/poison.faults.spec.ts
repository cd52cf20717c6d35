// Fault: poison records on the ledger topic — raw bytes that are not JSON, and a well-formed event with
// an unknown dataversion — followed by valid events on the same partition. The projector, dispatcher
// (→ worker) and sealer keep going; the dead-letter topic holds each poison record with its reason;
// the auditor's replay counts them and verify still vouches for every record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import { readTopic } from '../harness/ledger.js';
import { createIdempotentProducer, headerText, type Producer } from '../../adapters/kafka.js';
import { DEADLETTER_HEADERS } from '../../contracts/topics.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { caughtUp } from '../harness/projector.js';
import { sealerKeys, waitSealed } from '../harness/auditLedger.js';
import { consentGiven, ledgerEvent, SCOPE_ALL } from '../e2e/queryKit.js';
import { eventually, startWorkflowStack, testPolicy, type WorkflowStack } from '../e2e/workflowKit.js';
import { figures, secondsSince } from './faultKit.js';

const tag = `fp-${runId}`;
const subject = `sub_${tag.replace(/-/g, '')}_poisoned`;

async function audit(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; json: Record<string, any> }> {
  const r = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'services/audit/cli.ts', '--json', ...args],
    {
      env: { ...process.env, ...env },
      timeout: 120_000,
    },
  ).then(
    (x) => ({ code: 0, stdout: x.stdout }),
    (err: unknown) => {
      const e = err as { code?: number; stdout?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '' };
    },
  );
  return { code: r.code, json: JSON.parse(r.stdout) as Record<string, any> };
}

/** The ledger's events, skipping what is not JSON (the kit's reader assumes a clean ledger). */
async function validEvents(stack: WorkflowStack): Promise<LedgerEvent[]> {
  return (await readTopic(stack.kafka, stack.topics.names.ledger)).flatMap((r) => {
    try {
      return [JSON.parse(r.value.toString('utf8')) as LedgerEvent];
    } catch {
      return [];
    }
  });
}

describe('fault: poison records on the ledger topic', () => {
  let stack: WorkflowStack;
  let sealer: RunningService;
  let producer: Producer;
  const keys = sealerKeys();

  beforeAll(async () => {
    stack = await startWorkflowStack(
      tag,
      { projector: 18420, dispatcher: 18421, worker: 18422 },
      testPolicy({ coolingOffS: 60 }),
    );
    sealer = await startService(
      'sealer',
      {
        ...stack.env,
        SEALER_PORT: '18423',
        SEALER_SIGNING_KEY: keys.signingKeyBase64,
        SEALER_EVERY_MS: '500',
        SEALER_GROUP: `sealer-${tag}`,
      },
      18423,
      `sealer-${tag}`,
    );
    producer = createIdempotentProducer(stack.kafka);
    await producer.connect();
  });
  afterAll(async () => {
    await sealer?.stop();
    await producer?.disconnect();
    await stack?.close();
  });

  it(
    'not-JSON and unknown-dataversion records are dead-lettered with the reason; later events on the partition are ' +
      'applied, propagated, sealed and audited',
    async () => {
      const t0 = performance.now();
      const given = consentGiven(`${tag}-c1`, subject, SCOPE_ALL);
      const future = { ...consentGiven(`${tag}-v99`, subject, SCOPE_ALL), dataversion: 99 };
      // Same key as the subject's events, so the poison sits on the same partition, before them.
      const sent = await producer.send({
        topic: stack.topics.names.ledger,
        acks: -1,
        messages: [
          { key: subject, value: Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x6e, 0x6f, 0x74]) },
          { key: subject, value: JSON.stringify(future) },
        ],
      });
      const partition = sent[0]!.partition;
      const base = BigInt(sent[0]!.baseOffset!);
      const poisonOffsets = [base, base + 1n].map(String);
      const withdrawal = ledgerEvent('consent.withdrawn', `${tag}-w1`, subject, {
        occurredAt: new Date().toISOString(),
        scope: SCOPE_ALL,
      });
      await stack.append([given]);
      await stack.append([withdrawal]);

      // Projector: the valid events after the poison are applied.
      await caughtUp(stack.kafka, stack.topics.names.ledger, stack.reader, 60_000);
      const state = await stack.reader.subject(subject);
      expect(state?.records.map((r) => r.event.id)).toEqual([given.id, withdrawal.id]);
      // Dispatcher → worker: the withdrawal (no holders) completes.
      const completed = await eventually(
        async () => {
          const found = (await validEvents(stack)).filter(
            (e) =>
              e.type === 'withdrawal.completed' && (e.data as { withdrawalId?: string }).withdrawalId === withdrawal.id,
          );
          return found.length > 0 ? found : undefined;
        },
        60_000,
        'withdrawal.completed',
      );
      // Sealer: every record, poison included, is covered by a checkpoint.
      await waitSealed(stack.kafka, stack.topics.names.ledger, stack.topics.names.checkpoints, 60_000);

      // Dead letters: each poison record, from each consumer that met it, with its origin and reason.
      const dead = await eventually(
        async () => {
          const d = (await readTopic(stack.kafka, stack.topics.names.deadLetter)).filter(
            (r) => headerText(r.headers, DEADLETTER_HEADERS.partition) === String(partition),
          );
          return d.length >= 4 ? d : undefined; // projector + dispatcher, two records each
        },
        30_000,
        'dead letters from projector and dispatcher',
      );
      const reasons = new Map(
        poisonOffsets.map((o) => [
          o,
          dead
            .filter((d) => headerText(d.headers, DEADLETTER_HEADERS.offset) === o)
            .map((d) => headerText(d.headers, DEADLETTER_HEADERS.error)),
        ]),
      );
      expect(reasons.get(poisonOffsets[0]!)).toEqual(['not valid JSON', 'not valid JSON']);
      expect(reasons.get(poisonOffsets[1]!)).toHaveLength(2);
      for (const r of reasons.get(poisonOffsets[1]!)!) expect(r).toMatch(/dataversion/);
      expect(dead.every((d) => headerText(d.headers, DEADLETTER_HEADERS.topic) === stack.topics.names.ledger)).toBe(
        true,
      );

      // The auditor: replay counts the poison and still matches the projection; verify vouches for every record.
      const replay = await audit({ ...stack.env }, 'replay');
      const verify = await audit({ ...stack.env, AUDIT_PUBLIC_KEY: keys.publicKeyBase64 }, 'verify');
      figures('poison-records', {
        poisonWritten: 2,
        deadLettered: dead.length,
        validAfterPoisonApplied: state!.records.length,
        withdrawalCompleted: completed.length,
        auditReplayPoison: replay.json.poison,
        auditReplayMatches: replay.json.ok,
        auditVerifyOk: verify.json.ok,
        auditVerifyRecords: verify.json.totals?.records,
        durationS: secondsSince(t0),
      });
      expect(completed).toHaveLength(1);
      expect(replay).toMatchObject({ code: 0, json: { ok: true, poison: 2 } });
      expect(verify.code).toBe(0);
      expect(verify.json.ok).toBe(true);
      expect(verify.json.totals.unsealed).toBe(0);
    },
  );
});
