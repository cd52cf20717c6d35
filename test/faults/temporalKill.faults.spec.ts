// Fault: during withdrawal propagation to three webhook holders, SIGKILL (1) the worker process and
// (2) the Temporal dev server itself (its SQLite file keeps the workflow state), then restart it.
// Every propagation completes (withdrawal.completed on the ledger, once), and each holder only ever
// sees one notice id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { runId } from '../serverEnv.js';
import { ledgerEvent, SCOPE_ALL } from '../e2e/queryKit.js';
import { eventually, startWorkflowStack, testPolicy, type Receiver, type WorkflowStack } from '../e2e/workflowKit.js';
import { ensureRunning, figures, killServer, secondsSince, sleep, startServer } from './faultKit.js';

const tag = `ft${runId.replace(/[^A-Za-z0-9]/g, '')}`;
const policy = testPolicy({ coolingOffS: 60, ackS: 120 });

describe('fault: worker and Temporal dev server SIGKILLed during withdrawal propagation', () => {
  let stack: WorkflowStack;
  let auditor: string;
  /** Each acknowledgement attempt's HTTP status (0: no answer), per notice: shown when a propagation does not complete. */
  const ackAttempts = new Map<string, number[]>();

  beforeAll(async () => {
    stack = await startWorkflowStack(
      `faults-${tag}`,
      { projector: 18440, dispatcher: 18441, worker: 18442, api: 18443 },
      policy,
    );
    auditor = await stack.key('auditor', 'auditor:faults');
  }, 150_000);
  afterAll(async () => {
    await ensureRunning('temporal');
    await stack?.close();
  }, 90_000);

  const status = (withdrawalId: string) => stack.withdrawalStatus(withdrawalId, auditor);
  /** A holder whose webhook answers 503 until told otherwise, and acknowledges each notice it accepts. */
  async function holder(name: string, port: number): Promise<{ id: string; receiver: Receiver }> {
    const id = `du_${name}_${tag}`;
    const { key, receiver } = await stack.webhookHolder(id, port, 503);
    // The acknowledgement is retried like any client would (503 while Temporal is away).
    receiver.onDelivery = (d) => {
      void (async () => {
        for (let i = 0; i < 120; i++) {
          const r = await stack
            .call(`/v1/revocations/${d.noticeId}/acknowledgement`, key, 'POST')
            .catch(() => undefined);
          ackAttempts.set(d.noticeId, [...(ackAttempts.get(d.noticeId) ?? []), r?.status ?? 0]);
          if (r?.status === 202) return;
          await sleep(500);
        }
      })();
    };
    return { id, receiver };
  }
  const release = (subject: string, dataUserId: string) =>
    ledgerEvent('release.recorded', `${tag}-rel-${subject.slice(-4)}-${dataUserId}`, subject, {
      releaseId: `${tag}-rel`,
      dataUserId,
      purpose: 'research',
      dataCategories: ['ehr'],
      occurredAt: new Date(Date.now() - 2000).toISOString(),
    });
  const ofType = (events: LedgerEvent[], type: string, withdrawalId: string) =>
    events.filter((e) => e.type === type && (e.data as { withdrawalId?: string }).withdrawalId === withdrawalId);

  async function propagateThrough(fault: 'worker' | 'temporal', ports: number[]) {
    const t0 = performance.now();
    const subject = `sub_${tag}_${fault}`;
    const withdrawalId = `${tag}-w-${fault}`;
    const holders = await Promise.all(ports.map((p, i) => holder(`${fault}${i}`, p)));
    await stack.append(holders.map((h) => release(subject, h.id)));
    await stack.append([
      ledgerEvent('consent.withdrawn', withdrawalId, subject, {
        occurredAt: new Date().toISOString(),
        scope: SCOPE_ALL,
      }),
    ]);
    // Mid-propagation: every notice sent, webhook deliveries failing and being retried.
    const before = await eventually(
      async () => {
        const s = await status(withdrawalId);
        return s?.holders.length === holders.length && s.holders.every((h) => h.noticeId && h.deliveryAttempts >= 1)
          ? s
          : undefined;
      },
      60_000,
      'notices sent',
    );
    expect(before.completedAt).toBeNull();
    expect(before.holders.filter((h) => h.acknowledgedAt)).toEqual([]);
    if (fault === 'worker') {
      await stack.worker.kill();
      for (const h of holders) h.receiver.status = 200;
      stack.worker = await stack.startWorker();
    } else {
      try {
        await killServer('temporal');
        for (const h of holders) h.receiver.status = 200;
        await sleep(2000); // worker, dispatcher and the API meet a dead server
        await startServer('temporal');
      } finally {
        await ensureRunning('temporal');
      }
    }
    const done = await eventually(
      async () => {
        const s = await status(withdrawalId);
        return s?.completedAt ? s : undefined;
      },
      150_000,
      `completion after the ${fault} restart`,
    ).catch(async (err: unknown) => {
      console.log(
        `FAULT ${fault}: not completed; status ${JSON.stringify(await status(withdrawalId))}; acknowledgements ${JSON.stringify([...ackAttempts])}`,
      );
      throw err;
    });
    const events = await stack.ledger();
    const completed = ofType(events, 'withdrawal.completed', withdrawalId);
    const noticeIds = holders.map((h) => new Set(h.receiver.deliveries.map((d) => d.noticeId)));
    figures(`${fault}-sigkill-during-propagation`, {
      holders: holders.length,
      acknowledged: done.holders.filter((h) => h.acknowledgedAt).length,
      completedLogical: new Set(completed.map((e) => e.id)).size,
      completedPhysical: completed.length,
      deliveries: holders.reduce((n, h) => n + h.receiver.deliveries.length, 0),
      maxNoticeIdsPerHolder: Math.max(...noticeIds.map((s) => s.size)),
      durationS: secondsSince(t0),
    });
    // Seen failing (2 runs of 3): after the restart the deliveries and acknowledgements all land at once;
    // FerretDB 1.x loses one of two concurrent updates of the notice document (the worker's delivery
    // record vs the API's ackReceivedAt), the route then signals an acknowledgement without `at`, and
    // recordAcknowledged fails forever ("not a valid ledger event").
    expect(done.holders.filter((h) => !h.acknowledgedAt)).toEqual([]);
    expect(new Set(completed.map((e) => e.id)).size).toBe(1);
    holders.forEach((h, i) => expect([...noticeIds[i]!]).toEqual([`ntc.${withdrawalId}.${h.id}`]));
    for (const type of ['revocation.sent', 'revocation.acknowledged']) {
      const byHolder = [
        ...new Map(ofType(events, type, withdrawalId).map((e) => [e.id, e.data as { dataUserId: string }])).values(),
      ];
      expect(byHolder.map((d) => d.dataUserId).sort()).toEqual(holders.map((h) => h.id).sort());
    }
  }

  it('the worker is SIGKILLed and restarted: the propagation completes, one notice id per holder', async () => {
    await propagateThrough('worker', [18444, 18445, 18446]);
  });

  it('the Temporal dev server is SIGKILLed and restarted on its SQLite file: the propagation completes, one notice id per holder', async () => {
    await propagateThrough('temporal', [18447, 18448, 18449]);
  });
});
