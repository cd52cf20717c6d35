// Workflow benchmarks (issues 7 and 13), on the test stack's servers with the real projector,
// dispatcher and worker processes, and a bare baseline in the same run on the same Temporal server:
//  1. N consent.given at once (default 1,000; the figure is 10,000 — WF_BENCH_CONSENTS) and,
//     at the same moment, N bare workflows of the same shape (bareWorkflow/: a timer to the same
//     instant, then one acks=all Kafka append) on a plain Worker in this process. Rows: start rates;
//     p99 lateness timer → consent.effective (its ledger recordedtime, stamped as the write begins)
//     vs the bare workflow's (its record acknowledged), goal ≤ 1.5 × bare and ≤ 5 s; worker peak RSS.
//  2. W withdrawals of subjects released to 10 data users, sent as the burst's timers fire and again
//     on the idle stack: p99 receipt → all 10 webhooks, goal ≤ 2 s and during ≤ 1.5 × idle; idle vs
//     10 direct POSTs to the same receivers.
//  3. WF_BENCH_STEADY_S > 0: steady mixed load for that long (wfSteady.ts): worker RSS at its start,
//     end and peak.
// Bounded: everything waits with a deadline; loopback only.
import { connectTemporalClient } from '../adapters/temporal.js';
import { createConsumer, partitionCount } from '../adapters/kafka.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { coolingOffEndsAt } from '../contracts/consent/lifecycle.js';
import { utcMillis } from '../contracts/consent/primitives.js';
import { startWorkflowStack, testPolicy } from '../test/e2e/workflowKit.js';
import { testEnv } from '../test/serverEnv.js';
import { startBareBaseline } from './bareWorkflow/baseline.js';
import { fmtNum, printTable, type BenchRow } from './table.js';
import { HOLDERS, appendRetrying, consentGiven, iso, p, procMb, sleep, waitFor } from './wfCommon.js';
import { runSteady, STEADY_CONSENTS_PER_S, STEADY_WITHDRAWAL_EVERY_S } from './wfSteady.js';
import {
  deliveryDelays,
  directPosts,
  endPropagations,
  sendWithdrawals,
  startHolders,
  withdrawalSubjects,
} from './wfWithdrawals.js';

const N = Number(process.env.WF_BENCH_CONSENTS ?? 1000);
const COOLING_S = Number(process.env.WF_BENCH_COOLING_S ?? 30);
const W = Number(process.env.WF_BENCH_WITHDRAWALS ?? 20);
const STEADY_S = Number(process.env.WF_BENCH_STEADY_S ?? 0);
const ACTIVITIES = Number(process.env.WF_BENCH_ACTIVITIES ?? 32);
const RECEIVER_PORT = 18344;
const run = Date.now().toString(36);

const ms = (x: number) => `${fmtNum(x)} ms`;
const mb = (x: number) => `${fmtNum(x)} MB`;
const timed = async (go: () => Promise<unknown>) => {
  const s = Date.now();
  await go();
  return (Date.now() - s) / 1000;
};

export async function workflowsBench(): Promise<void> {
  const policy = testPolicy({ coolingOffS: COOLING_S, ackS: 3600 });
  const stack = await startWorkflowStack(`wfb-${run}`, { projector: 18340, dispatcher: 18341, worker: 18342 }, policy, {
    LOG_LEVEL: process.env.WF_BENCH_LOG_LEVEL ?? 'warn',
    WORKER_MAX_CONCURRENT_ACTIVITIES: String(ACTIVITIES),
  });
  const temporal = await connectTemporalClient({
    address: testEnv.TEMPORAL_ADDRESS,
    namespace: testEnv.TEMPORAL_NAMESPACE,
  });
  const bare = await startBareBaseline({
    kafka: stack.kafka,
    client: temporal.client,
    address: testEnv.TEMPORAL_ADDRESS,
    namespace: testEnv.TEMPORAL_NAMESPACE,
    tag: run,
    partitions: await partitionCount(stack.kafka, stack.topics.names.ledger),
    // Our lifecycle Worker's slots in this bench (services/worker/main.ts defaults otherwise).
    slots: { activities: ACTIVITIES, workflowTasks: 40 },
  });
  const holders = await startHolders(stack, run, RECEIVER_PORT);
  const queue = stack.env.TEMPORAL_TASK_QUEUE!;
  const rows: BenchRow[] = [];
  // consent.effective as it lands: consent id → lateness past the cooling-off's end.
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
  const withdrawn: string[] = [];
  try {
    const during = withdrawalSubjects(run, 'd', W);
    const idle = withdrawalSubjects(run, 'i', W);
    await holders.release([...during, ...idle]);

    // --- 1. cooling-off at scale, ours and the bare baseline started together ------------------------
    const t0 = Date.now();
    const endsAtMs = utcMillis(coolingOffEndsAt(iso(t0), 'routine', policy));
    const ids = Array.from({ length: N }, (_, i) => `bench-${run}-c${i}`);
    const subject = (i: number) => `sub_bench${run}${String(i).padStart(8, '0')}`;
    let started = 0;
    const [ourStartS, bareStartS] = await Promise.all([
      timed(async () => {
        const events = ids.map((id, i) => consentGiven(id, subject(i), iso(t0)));
        for (let i = 0; i < N; i += 100) await appendRetrying(stack.append, events.slice(i, i + 100));
        const deadline = Date.now() + 300_000;
        while (started < N && Date.now() < deadline) {
          const q = `TaskQueue = '${queue}' AND WorkflowType = 'coolingOff'`;
          started = (await temporal.client.workflow.count(q)).count;
          if (started < N) await sleep(250);
        }
      }),
      timed(() => bare.start(ids.map((id, i) => ({ id, subject: subject(i), endsAtMs })))),
    ]);
    rows.push({
      name: `cooling-off workflows started (${fmtNum(N)} consent.given at once)`,
      ours: `${fmtNum(started / ourStartS)} /s`,
      baseline: `${fmtNum(N / bareStartS)} /s bare client starts`,
      ratio: fmtNum(started / ourStartS / (N / bareStartS), 2),
      goal: '—',
      met: started === N ? 'all started' : `only ${started}`,
    });

    // --- 2a. withdrawals while the burst's timers fire ----------------------------------------------
    const firing = (async () => {
      await sleep(Math.max(0, endsAtMs - Date.now()));
      const effectiveAtFirst = effective.size;
      const receipts = await sendWithdrawals(stack, during);
      return { receipts, effectiveAtFirst };
    })();
    // 5 minutes past the timers, or 60 ms a workflow for a larger burst (10,000: 10 minutes; both kinds
    // share the dev server's one history shard, ~30 completions/s each here).
    await waitFor(() => effective.size >= N && bare.acked.size >= N, COOLING_S * 1000 + Math.max(300_000, N * 60), 250);
    const ours = [...effective.values()];
    const bareLate = [...bare.acked.values()].map((t) => t - endsAtMs);
    const [op99, bp99] = [p(ours, 0.99), p(bareLate, 0.99)];
    rows.push({
      name: `p99 lateness timer → consent.effective on the ledger (${fmtNum(ours.length)} of ${fmtNum(N)}; bare ${fmtNum(bareLate.length)})`,
      ours: ms(op99),
      baseline: `${ms(bp99)} bare workflow, record acked`,
      ratio: fmtNum(op99 / Math.max(1, bp99), 2),
      goal: '≤ 1.5 × bare, ≤ 5,000 ms',
      met: op99 <= 1.5 * bp99 && op99 <= 5000 && ours.length === N && bareLate.length === N ? 'yes' : 'no',
    });
    const burst = await firing;
    withdrawn.push(...burst.receipts.keys());
    const duringDelays = await deliveryDelays(holders, burst.receipts);
    const effectiveAtDelivered = effective.size;
    const rss = procMb(stack.worker.proc.pid!, 'VmHWM');
    rows.push({
      name: 'worker peak RSS',
      ours: mb(rss),
      baseline: '—',
      ratio: '—',
      goal: '≤ 500 MB',
      met: rss <= 500 ? 'yes' : 'no',
    });

    // --- 2b. the same withdrawals on the idle stack, and the direct-POST floor ------------------------
    await sleep(2000);
    const idleReceipts = await sendWithdrawals(stack, idle);
    withdrawn.push(...idleReceipts.keys());
    const idleDelays = await deliveryDelays(holders, idleReceipts);
    const direct = p(await directPosts(holders, RECEIVER_PORT, W), 0.99);
    const [dp99, ip99] = [p(duringDelays, 0.99), p(idleDelays, 0.99)];
    // How far the burst had got as the first of these withdrawals was sent, and when all were delivered.
    const overlap = `${fmtNum(burst.effectiveAtFirst)}→${fmtNum(effectiveAtDelivered)} of ${fmtNum(N)} effective`;
    rows.push({
      name: `p99 withdrawal receipt → all ${HOLDERS} webhooks, during the burst (${duringDelays.length} of ${W}; ${overlap})`,
      ours: ms(dp99),
      baseline: `${ms(ip99)} idle stack`,
      ratio: fmtNum(dp99 / Math.max(1, ip99), 2),
      goal: '≤ 2,000 ms, ≤ 1.5 × idle',
      met: dp99 <= 2000 && dp99 <= 1.5 * ip99 && duringDelays.length === W ? 'yes' : 'no',
    });
    rows.push({
      name: `p99 withdrawal receipt → all ${HOLDERS} webhooks, idle stack (${idleDelays.length} of ${W})`,
      ours: ms(ip99),
      baseline: `${ms(direct)} ${HOLDERS} direct POSTs`,
      ratio: fmtNum(ip99 / Math.max(1, direct), 1),
      goal: '≤ 2,000 ms',
      met: ip99 <= 2000 && idleDelays.length === W ? 'yes' : 'no',
    });

    // --- 3. steady mixed load (optional) --------------------------------------------------------------
    if (STEADY_S > 0) {
      const steady = await runSteady(stack, holders, temporal.client, run, STEADY_S);
      const [first, last, peak] = [steady.rssMb[0]!, steady.rssMb.at(-1)!, Math.max(...steady.rssMb)];
      const load = `${STEADY_S} s: ${STEADY_CONSENTS_PER_S} consents/s, 1 withdrawal per ${STEADY_WITHDRAWAL_EVERY_S} s`;
      const rssRow = (name: string, value: number, goal = '—', met = '—'): BenchRow => ({
        name,
        ours: mb(value),
        baseline: name.includes('end') ? `${mb(first)} at start` : '—',
        ratio: name.includes('end') ? fmtNum(value / first, 2) : '—',
        goal,
        met,
      });
      rows.push(rssRow(`worker RSS at the start of steady load (${load})`, first));
      rows.push(rssRow(`worker RSS at the end of steady load (${steady.rssMb.length} samples, 10 s apart)`, last));
      rows.push(rssRow('worker peak RSS sampled during steady load', peak, '≤ 500 MB', peak <= 500 ? 'yes' : 'no'));
      const sp99 = p(steady.withdrawalDelays, 0.99);
      const delivered = `${steady.withdrawalDelays.length} of ${steady.withdrawals}`;
      rows.push({
        name: `p99 withdrawal receipt → all ${HOLDERS} webhooks, steady load (${delivered}; p50 ${ms(p(steady.withdrawalDelays, 0.5))})`,
        ours: ms(sp99),
        baseline: `${ms(ip99)} idle stack`,
        ratio: fmtNum(sp99 / Math.max(1, ip99), 2),
        goal: '≤ 2,000 ms',
        met: sp99 <= 2000 && steady.withdrawalDelays.length === steady.withdrawals ? 'yes' : 'no',
      });
    }
  } finally {
    await endPropagations(temporal.client, withdrawn);
    await holders.close();
    await consumer.disconnect();
    await bare.close();
    await temporal.close();
    await stack.close();
  }
  printTable(
    `Workflows (scale: ${fmtNum(N)} consents, cooling-off ${COOLING_S} s, ${W} withdrawals × ${HOLDERS} holders)`,
    rows,
  );
}
