// Where a withdrawal's propagation time goes, read from Temporal's own histories: for each
// withdrawalPropagation workflow started in the last WINDOW minutes (default 30), the time from the
// withdrawal's occurredAt to its start, and for each step (findHolders, issueNotice, deliverNotice)
// the wait in the task queue (scheduled → started) and the run (started → completed), plus the
// workflow tasks' queue waits. usage: tsx bench/propagationTimeline.ts [minutes] [idFilter]
import protoPkg from '@temporalio/proto';
const proto = protoPkg.temporal;
import { connectTemporalClient } from '../adapters/temporal.js';
import { testEnv } from '../test/serverEnv.js';

const T = proto.api.enums.v1.EventType;
const minutes = Number(process.argv[2] ?? 30);
const filter = process.argv[3] ?? '';
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

const { client } = await connectTemporalClient({
  address: testEnv.TEMPORAL_ADDRESS,
  namespace: testEnv.TEMPORAL_NAMESPACE,
});
const since = new Date(Date.now() - minutes * 60_000).toISOString();
const rows: string[] = [];
for await (const wf of client.workflow.list({
  query: `WorkflowType = 'withdrawalPropagation' AND StartTime > '${since}'`,
})) {
  if (filter && !wf.workflowId.includes(filter)) continue;
  const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
  const events = history.events ?? [];
  const start = ms(events[0]?.eventTime);
  const input = JSON.parse(
    Buffer.from(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data ?? '{}').toString(),
  ) as { occurredAt?: string };
  const scheduled = new Map<number, { type: string; at: number }>();
  const started = new Map<number, number>();
  const steps = new Map<string, { wait: number[]; run: number[]; done: number[] }>();
  let wftWait = 0,
    wftCount = 0,
    wftScheduledAt = 0;
  for (const e of events) {
    const at = ms(e.eventTime);
    const id = Number(e.eventId);
    if (e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) wftScheduledAt = at;
    if (e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      wftWait += at - wftScheduledAt;
      wftCount++;
    }
    if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      scheduled.set(id, { type: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at });
    if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED)
      started.set(Number(e.activityTaskStartedEventAttributes?.scheduledEventId), at);
    if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const s = Number(e.activityTaskCompletedEventAttributes?.scheduledEventId);
      const sch = scheduled.get(s)!;
      const st = started.get(s) ?? at;
      const step = steps.get(sch.type) ?? { wait: [], run: [], done: [] };
      step.wait.push(st - sch.at);
      step.run.push(at - st);
      step.done.push(at - start);
      steps.set(sch.type, step);
    }
  }
  const max = (xs: number[]) => Math.max(...xs);
  const lag = input.occurredAt ? start - Date.parse(input.occurredAt) : NaN;
  const parts = [...steps].map(
    ([t, s]) => `${t}×${s.run.length} wait≤${max(s.wait)} run≤${max(s.run)} done@${max(s.done)}`,
  );
  rows.push(
    `${wf.workflowId.slice(-12)} start-lag ${lag} ms | WFT queue ${wftWait} ms over ${wftCount} | ${parts.join(' | ')}`,
  );
}
console.log(rows.sort().join('\n'));
await client.connection.close();
