// Workflow benchmarks (issue 7), on the test stack's servers with the real projector, dispatcher and
// worker processes:
//  1. N consent.given at once (default 1,000; the figure is 10,000 — WF_BENCH_CONSENTS):
//     cooling-off workflow start rate (ledger → dispatcher → Temporal) vs direct client starts of a
//     bare workflow in the same run; p99 delay from each timer's expiry to consent.effective on the
//     ledger (goal ≤ 5 s) vs the p99 of a single acks=all ledger append (the floor); worker peak RSS (goal ≤ 500 MB).
//  2. W withdrawals of a subject released to 10 data users: p99 from the ledger receipt of the
//     withdrawal to all 10 notices received by webhook (goal ≤ 2 s) vs the p99 of 10 direct POSTs
//     to the same receivers.
// Bounded: everything waits with a deadline; loopback only.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { connectTemporalClient } from '../adapters/temporal.js';
import { createConsumer } from '../adapters/kafka.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { WebhookRegistry } from '../revocations/webhooks.js';
import { startWorkflowStack, testPolicy } from '../test/e2e/workflowKit.js';
import { testEnv } from '../test/serverEnv.js';
import { fmtNum, printTable, type BenchRow } from './table.js';

const N = Number(process.env.WF_BENCH_CONSENTS ?? 1000);
const COOLING_S = Number(process.env.WF_BENCH_COOLING_S ?? 30);
const W = Number(process.env.WF_BENCH_WITHDRAWALS ?? 20);
const HOLDERS = 10;
const run = Date.now().toString(36);
const ALL = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' };

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms = Date.now()) => new Date(ms).toISOString();
function envelope(type: string, id: string, subject: string, data: object, occurredAt = iso()): LedgerEvent {
  return {
    specversion: '1.0',
    id,
    source: 'org:bench',
    type,
    subject,
    time: iso(),
    datacontenttype: 'application/json',
    dataversion: 1,
    data: { occurredAt, ...data },
  } as unknown as LedgerEvent;
}

/** The shared machine's FerretDB can stall under load: retry a chunk (appendOnce makes the retry exact). */
async function appendRetrying(append: (e: LedgerEvent[]) => Promise<void>, events: LedgerEvent[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await append(events);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(1000 * attempt);
    }
  }
}

export async function workflowsBench(): Promise<void> {
  const policy = testPolicy({ coolingOffS: COOLING_S, ackS: 3600 });
  const stack = await startWorkflowStack(`wfb-${run}`, { projector: 18340, dispatcher: 18341, worker: 18342 }, policy, {
    LOG_LEVEL: 'warn',
    WORKER_MAX_CONCURRENT_ACTIVITIES: process.env.WF_BENCH_ACTIVITIES ?? '32',
  });
  const temporal = await connectTemporalClient({
    address: testEnv.TEMPORAL_ADDRESS,
    namespace: testEnv.TEMPORAL_NAMESPACE,
  });
  const queue = stack.env.TEMPORAL_TASK_QUEUE!;
  const rows: BenchRow[] = [];
  // Every ledger record as it lands (effective events and their recording time).
  const effective = new Map<string, number>();
  const consumer = createConsumer(stack.kafka, { groupId: `bench-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic: stack.topics.names.ledger, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = JSON.parse(message.value!.toString('utf8')) as LedgerEvent;
      if (e.type === 'consent.effective')
        effective.set(e.data.consentId, Date.parse(e.recordedtime) - Date.parse(e.data.occurredAt));
    },
  });
  try {
    // --- 1. cooling-off at scale ---------------------------------------------------------------
    const t0 = Date.now();
    const events = Array.from({ length: N }, (_, i) =>
      envelope(
        'consent.given',
        `bench-${run}-c${i}`,
        `sub_bench${run}${String(i).padStart(8, '0')}`,
        {
          scope: ALL,
          capture: { channel: 'in-person', setting: 'routine' },
          policyVersion: 'test-01',
        },
        iso(t0),
      ),
    );
    for (let i = 0; i < N; i += 100) await appendRetrying(stack.append, events.slice(i, i + 100));
    let started = 0;
    const startDeadline = Date.now() + 300_000;
    while (started < N && Date.now() < startDeadline) {
      started = (await temporal.client.workflow.count(`TaskQueue = '${queue}' AND WorkflowType = 'coolingOff'`)).count;
      if (started < N) await sleep(250);
    }
    const startSeconds = (Date.now() - t0) / 1000;
    // Baseline: direct client starts of a bare workflow (no worker polls its queue; it times out on its own).
    const bt = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < N; i = next++) {
          await temporal.client.workflow.start('bareBaseline', {
            taskQueue: `bench-bare-${run}`,
            workflowId: `bare-${run}-${i}`,
            args: [],
            workflowExecutionTimeout: '1m',
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        }
      }),
    );
    const bareRate = N / ((Date.now() - bt) / 1000);
    const ourRate = started / startSeconds;
    rows.push({
      name: `cooling-off workflows started (${fmtNum(N)} consent.given at once)`,
      ours: `${fmtNum(ourRate)} /s`,
      baseline: `${fmtNum(bareRate)} /s direct client starts`,
      ratio: fmtNum(ourRate / bareRate, 2),
      goal: '—',
      met: started === N ? 'all started' : `only ${started}`,
    });

    const effDeadline = Date.now() + COOLING_S * 1000 + 300_000;
    while (effective.size < N && Date.now() < effDeadline) await sleep(250);
    const delays = [...effective.values()];
    // Floor: one acks=all append through appendOnce.
    const floor: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = Date.now();
      await stack.append([
        envelope('optout.revoked', `bench-${run}-floor${i}`, `sub_benchfloor${run}`, { optOutId: 'none' }),
      ]);
      floor.push(Date.now() - s);
    }
    const p99 = p(delays, 0.99);
    rows.push({
      name: `p99 timer expiry → consent.effective on the ledger (${fmtNum(delays.length)} of ${fmtNum(N)})`,
      ours: `${fmtNum(p99)} ms`,
      baseline: `${fmtNum(p(floor, 0.99))} ms single ledger append`,
      ratio: fmtNum(p99 / p(floor, 0.99), 1),
      goal: '≤ 5,000 ms',
      met: p99 <= 5000 && delays.length === N ? 'yes' : 'no',
    });
    const rss = peakRssMb(stack.worker.proc.pid!);
    rows.push({
      name: 'worker peak RSS',
      ours: `${fmtNum(rss)} MB`,
      baseline: '—',
      ratio: '—',
      goal: '≤ 500 MB',
      met: rss <= 500 ? 'yes' : 'no',
    });

    // --- 2. withdrawal to 10 holders ------------------------------------------------------------
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
    await new Promise<void>((r) => receiver.listen(18344, '127.0.0.1', r));
    const registry = new WebhookRegistry(stack.mongo.db, Buffer.from(stack.env.WEBHOOK_SIGNING_KEY!, 'base64'));
    const users = Array.from({ length: HOLDERS }, (_, i) => `du_bench${run}_${i}`);
    for (const u of users) await registry.register(u, `http://127.0.0.1:18344/hook/${u}`, iso());
    const subjects = Array.from({ length: W }, (_, i) => `sub_benchw${run}${String(i).padStart(6, '0')}`);
    await appendRetrying(
      stack.append,
      subjects.flatMap((s) =>
        users.map((u) =>
          envelope(
            'release.recorded',
            `bench-${run}-r-${s.slice(-6)}-${u}`,
            s,
            { releaseId: `bench-${run}`, dataUserId: u, purpose: 'research', dataCategories: ['ehr'] },
            iso(Date.now() - 1000),
          ),
        ),
      ),
    );
    const receipts = new Map<string, number>();
    for (const s of subjects) {
      const id = `bench-${run}-w-${s.slice(-6)}`;
      await stack.append([envelope('consent.withdrawn', id, s, { scope: ALL })]);
      receipts.set(id, Date.now());
      await sleep(200);
    }
    const wDeadline = Date.now() + 120_000;
    while ([...receipts.keys()].some((id) => (arrivals.get(id)?.length ?? 0) < HOLDERS) && Date.now() < wDeadline)
      await sleep(100);
    const wDelays = [...receipts]
      .filter(([id]) => (arrivals.get(id)?.length ?? 0) >= HOLDERS)
      .map(([id, t]) => Math.max(...arrivals.get(id)!) - t);
    const direct: number[] = [];
    for (let i = 0; i < W; i++) {
      const s = Date.now();
      await Promise.all(
        users.map((u) =>
          fetch(`http://127.0.0.1:18344/hook/${u}`, {
            method: 'POST',
            body: '{}',
            headers: { 'content-type': 'application/json' },
          }),
        ),
      );
      direct.push(Date.now() - s);
    }
    const wp99 = p(wDelays, 0.99);
    rows.push({
      name: `p99 withdrawal receipt → all ${HOLDERS} webhooks received (${wDelays.length} of ${W} withdrawals)`,
      ours: `${fmtNum(wp99)} ms`,
      baseline: `${fmtNum(p(direct, 0.99))} ms 10 direct POSTs`,
      ratio: fmtNum(wp99 / Math.max(1, p(direct, 0.99)), 1),
      goal: '≤ 2,000 ms',
      met: wp99 <= 2000 && wDelays.length === W ? 'yes' : 'no',
    });
    await new Promise<void>((r) => receiver.close(() => r()));
    // The propagations wait for acknowledgements for an hour: end them.
    await Promise.all(
      [...receipts.keys()].map((id) =>
        temporal.client.workflow
          .getHandle(`withdrawal:${id}`)
          .terminate('benchmark done')
          .catch(() => undefined),
      ),
    );
  } finally {
    await consumer.disconnect();
    await temporal.close();
    await stack.close();
  }
  printTable(
    `Workflows (scale: ${fmtNum(N)} consents, cooling-off ${COOLING_S} s, ${W} withdrawals × ${HOLDERS} holders)`,
    rows,
  );
}
