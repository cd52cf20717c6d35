// The withdrawal part of the workflow bench: 10 data users with webhooks served by one loopback
// receiver, subjects released to all of them, withdrawals sent one every 200 ms, and the time from
// each withdrawal's ledger receipt to the last of its 10 webhook deliveries.
import { createServer } from 'node:http';
import type { Client } from '@temporalio/client';
import { WebhookRegistry } from '../revocations/webhooks.js';
import { workflowIds } from '../workflows/types.js';
import type { WorkflowStack } from '../test/e2e/workflowKit.js';
import { ALL, HOLDERS, appendRetrying, envelope, iso, sleep, waitFor } from './wfCommon.js';

export interface Holders {
  users: string[];
  /** Withdrawal id → arrival times of its deliveries ('direct' for the baseline's POSTs). */
  arrivals: Map<string, number[]>;
  /** Records a release of each subject to every holder (a second ago, so before any withdrawal). */
  release(subjects: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startHolders(stack: WorkflowStack, run: string, port: number): Promise<Holders> {
  const arrivals = new Map<string, number[]>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { notice?: { withdrawalId: string } };
      const w = body.notice?.withdrawalId ?? 'direct';
      const list = arrivals.get(w) ?? [];
      list.push(Date.now());
      arrivals.set(w, list);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  const registry = new WebhookRegistry(stack.mongo.db, Buffer.from(stack.env.WEBHOOK_SIGNING_KEY!, 'base64'));
  const users = Array.from({ length: HOLDERS }, (_, i) => `du_bench${run}_${i}`);
  for (const u of users) await registry.register(u, `http://127.0.0.1:${port}/hook/${u}`, iso());
  return {
    users,
    arrivals,
    release: (subjects) =>
      appendRetrying(
        stack.append,
        subjects.flatMap((s) =>
          users.map((u) =>
            envelope(
              'release.recorded',
              `bench-r-${s}-${u}`,
              s,
              { releaseId: `bench-${run}`, dataUserId: u, purpose: 'research', dataCategories: ['ehr'] },
              iso(Date.now() - 1000),
            ),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((r) => {
        receiver.close(() => r());
        receiver.closeAllConnections();
      }),
  };
}

export const withdrawalSubjects = (run: string, phase: string, n: number) =>
  Array.from({ length: n }, (_, i) => `sub_benchw${run}${phase}${String(i).padStart(6, '0')}`);

/** One consent.withdrawn per subject, 200 ms apart: withdrawal id → ledger receipt time. */
export async function sendWithdrawals(stack: WorkflowStack, subjects: string[]): Promise<Map<string, number>> {
  const receipts = new Map<string, number>();
  for (const s of subjects) {
    const id = `bench-w-${s}`;
    await appendRetrying(stack.append, [envelope('consent.withdrawn', id, s, { scope: ALL })]);
    receipts.set(id, Date.now());
    await sleep(200);
  }
  return receipts;
}

/** Receipt → last of the 10 deliveries, for the withdrawals fully delivered within `timeoutMs`. */
export async function deliveryDelays(
  holders: Holders,
  receipts: Map<string, number>,
  timeoutMs = 120_000,
): Promise<number[]> {
  const delivered = (id: string) => (holders.arrivals.get(id)?.length ?? 0) >= HOLDERS;
  await waitFor(() => [...receipts.keys()].every(delivered), timeoutMs);
  return [...receipts].filter(([id]) => delivered(id)).map(([id, t]) => Math.max(...holders.arrivals.get(id)!) - t);
}

/** The floor: the same 10 receivers POSTed directly, `n` times. */
export async function directPosts(holders: Holders, port: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = Date.now();
    await Promise.all(
      holders.users.map((u) =>
        fetch(`http://127.0.0.1:${port}/hook/${u}`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    times.push(Date.now() - s);
  }
  return times;
}

/** The propagations wait for acknowledgements for an hour: end them. */
export async function endPropagations(client: Client, withdrawalIds: Iterable<string>): Promise<void> {
  await Promise.all(
    [...withdrawalIds].map((id) =>
      client.workflow
        .getHandle(workflowIds.withdrawal(id))
        .terminate('benchmark done')
        .catch(() => undefined),
    ),
  );
}
