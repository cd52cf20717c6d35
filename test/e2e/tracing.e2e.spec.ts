// One OpenTelemetry trace follows a withdrawal end to end: ingest's server span → the ledger produce
// → the projector's and dispatcher's consumer spans → Temporal's StartWorkflow / RunWorkflow /
// RunActivity spans → the webhook call's client span, whose traceparent the receiver sees. The real
// services export OTLP/HTTP JSON to a collector running in this test process. Each service's
// /metrics serves the named Prometheus series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import { eventually, startWorkflowStack, testPolicy, type WorkflowStack } from './workflowKit.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';

const PORTS = { projector: 18460, dispatcher: 18461, worker: 18462, api: 18463 };
const INGEST_PORT = 18464,
  RECEIVER_PORT = 18465,
  COLLECTOR_PORT = 18466;
const tag = `trc${runId.replace(/[^A-Za-z0-9]/g, '')}`;
const SERVER = 2,
  CLIENT = 3,
  PRODUCER = 4,
  CONSUMER = 5; // OTLP span kinds

interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP JSON trace collector (POST /v1/traces). */
async function startCollector(port: number): Promise<{ spans: CollectedSpan[]; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: any[] };
        for (const rs of body.resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                kind: s.kind,
                links: (s.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
                attributes: Object.fromEntries(
                  (s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value ?? {})[0]]),
                ),
              });
            }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    spans,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A data user's webhook that accepts every delivery, remembers the traceparent it came with and hands
 *  the notice id on (the test acknowledges it, so the workflow completes and its run span is exported). */
async function startTracedReceiver(port: number) {
  const r = {
    url: `http://127.0.0.1:${port}/hook`,
    seen: [] as { traceparent?: string; noticeId: string }[],
    onDelivery: (_noticeId: string) => {},
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const noticeId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { notice: { noticeId: string } }).notice
        .noticeId;
      r.seen.push({ traceparent: req.headers.traceparent as string | undefined, noticeId });
      res.writeHead(200).end();
      r.onDelivery(noticeId);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  r.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return r;
}

describe('observability: one trace from ingest to the webhook; /metrics on every service', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let receiver: Awaited<ReturnType<typeof startTracedReceiver>>;
  let stack: WorkflowStack;
  let ingest: RunningService;
  let hospitalKey: string;
  const otelEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${COLLECTOR_PORT}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };

  beforeAll(async () => {
    collector = await startCollector(COLLECTOR_PORT);
    receiver = await startTracedReceiver(RECEIVER_PORT);
    stack = await startWorkflowStack(tag, PORTS, testPolicy({ coolingOffS: 60, ackS: 60 }), otelEnv);
    ingest = await startService(
      'ingest',
      { ...stack.env, ...otelEnv, INGEST_PORT: String(INGEST_PORT) },
      INGEST_PORT,
      `ingest-${tag}`,
    );
    hospitalKey = await stack.key('hospital', 'org:rxh');
  }, 120_000);
  afterAll(async () => {
    // TRACE_DUMP=<file>: the collected spans, to look at the tree when an assertion fails.
    if (process.env.TRACE_DUMP && collector)
      writeFileSync(process.env.TRACE_DUMP, JSON.stringify(collector.spans, null, 1));
    await ingest?.stop();
    await stack?.close();
    await receiver?.close();
    await collector?.close();
  }, 60_000);

  it('a withdrawal posted to ingest is one trace through the ledger, projector, dispatcher, workflow, activities and the webhook call', async () => {
    const dataUserId = `du_trace_${tag}`;
    const key = await stack.key('dataUser', dataUserId);
    const put = await stack.call(`/v1/data-users/${dataUserId}/webhook`, key, 'PUT', { url: receiver.url });
    expect(put.status).toBe(200);
    receiver.onDelivery = (noticeId) => {
      void stack.call(`/v1/revocations/${noticeId}/acknowledgement`, key, 'POST');
    };
    const subject = `sub_${tag}_traced`;
    const now = Date.now();
    const release = {
      specversion: '1.0',
      id: `${runId}-trace-rel`,
      source: 'org:rxh',
      type: 'release.recorded',
      subject,
      time: new Date(now - 3000).toISOString(),
      datacontenttype: 'application/json',
      dataversion: 1,
      data: {
        occurredAt: new Date(now - 3000).toISOString(),
        releaseId: `${runId}-trace-rel`,
        dataUserId,
        purpose: 'research',
        dataCategories: ['ehr'],
      },
    } as unknown as LedgerEvent;
    await stack.append([release]);

    const withdrawalId = `${runId}-trace-w`;
    const res = await fetch(`http://127.0.0.1:${INGEST_PORT}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hospitalKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: withdrawalId,
        source: 'org:rxh',
        type: 'consent.withdrawn',
        dataversion: 1,
        subject,
        data: {
          occurredAt: new Date(now - 1000).toISOString(),
          scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
        },
      }),
    });
    expect(res.status).toBe(202);

    const ingestSpan = await eventually(
      async () =>
        collector.spans.find((s) => s.service === 'ingest' && s.kind === SERVER && s.name === 'POST /v1/events'),
      20_000,
      'ingest server span',
    );
    const trace = ingestSpan.traceId;
    const inTrace = () => collector.spans.filter((s) => s.traceId === trace);
    // The webhook client span closes the chain (and the receiver saw the trace in its traceparent).
    const webhookSpan = await eventually(
      async () => inTrace().find((s) => s.service === 'worker' && s.kind === CLIENT && s.name.startsWith('POST')),
      45_000,
      'webhook client span',
    );
    expect(receiver.seen.some((d) => d.traceparent?.split('-')[1] === trace)).toBe(true);
    // The run span ends when the workflow completes (the receiver acknowledged) and leaves through the worker's sink.
    await eventually(
      async () => inTrace().some((s) => s.name === 'RunWorkflow:withdrawalPropagation') || undefined,
      45_000,
      'workflow run span',
    );

    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: CollectedSpan) => byId.get(s.parentSpanId);
    const ledgerTopic = stack.topics.names.ledger;

    // ingest: the server span (route template only) is the root; the ledger produce is its child.
    expect(ingestSpan.parentSpanId).toBe('');
    expect(ingestSpan.attributes['http.route']).toBe('/v1/events');
    const produce = spans.find(
      (s) => s.service === 'ingest' && s.kind === PRODUCER && s.name === `${ledgerTopic} publish`,
    )!;
    expect(produce).toBeDefined();
    expect(parentOf(produce)).toBe(ingestSpan);

    // projector and dispatcher: a consumer span per record, child of the produce span; the batch span links it.
    for (const service of ['projector', 'dispatcher']) {
      const consumed = spans.find(
        (s) =>
          s.service === service &&
          s.kind === CONSUMER &&
          s.name === `${ledgerTopic} process` &&
          s.parentSpanId === produce.spanId,
      );
      expect(consumed, `${service} consumer span`).toBeDefined();
      const batch = collector.spans.find(
        (s) =>
          s.service === service &&
          s.name === `${ledgerTopic} process batch` &&
          s.links.some((l) => l.spanId === consumed!.spanId),
      );
      expect(batch, `${service} batch span linking the record`).toBeDefined();
    }
    // The dispatcher reads the ledger in two lanes, each its own group (services/dispatcher/dispatch.ts);
    // the propagation lane's consumer span is the one that starts the withdrawal's workflow.
    const dispatcherConsumer = spans.find(
      (s) =>
        s.service === 'dispatcher' &&
        s.kind === CONSUMER &&
        s.parentSpanId === produce.spanId &&
        String(s.attributes['messaging.consumer.group.name']).endsWith('-propagation'),
    )!;
    expect(dispatcherConsumer, 'the propagation lane consumer span').toBeDefined();

    // Temporal: the dispatcher's start is a child of its consumer span; the workflow run continues it.
    const start = spans.find((s) => s.service === 'dispatcher' && s.name === 'StartWorkflow:withdrawalPropagation')!;
    expect(start).toBeDefined();
    expect(parentOf(start)).toBe(dispatcherConsumer);
    const run = spans.find((s) => s.service === 'worker' && s.name === 'RunWorkflow:withdrawalPropagation')!;
    expect(run).toBeDefined();
    expect(parentOf(run)).toBe(start);
    expect(spans.filter((s) => s.name.startsWith('StartActivity:')).length).toBeGreaterThan(0);

    // The webhook call runs inside an activity span of this trace, which descends from the workflow run.
    const activity = parentOf(webhookSpan)!;
    expect(activity.name).toMatch(/^RunActivity:/);
    let up: CollectedSpan | undefined = activity;
    while (up && up !== run) up = parentOf(up);
    expect(up).toBe(run);

    // Only templates and ids of events in span names/attributes — never the subject.
    expect(JSON.stringify(collector.spans)).not.toContain(subject);
  });

  it('every service serves Prometheus metrics: request rate/latency, consumer lag, apply rate, workflows', async () => {
    const metrics = async (url: string) => {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const ingestText = await metrics(ingest.url);
    expect(ingestText).toMatch(/^http_requests_total\{method="POST",route="\/v1\/events",status="202"\} \d+/m);
    expect(ingestText).toMatch(/^http_request_duration_seconds_bucket\{.*route="\/v1\/events".*\} \d+/m);
    expect(ingestText).toContain('process_cpu_seconds_total');
    expect(ingestText).not.toMatch(/route="\/v1\/events\/[^"]/); // templates, never raw URLs
    expect(ingestText).toMatch(/^ingest_events_accepted_total\{type="consent.withdrawn"\} [1-9]/m);
    expect(ingestText).toMatch(/^ledger_append_ack_seconds_count\{topic="[^"]+"\} [1-9]/m);
    // Only its own families: no consumer, workflow, decision or sealer series in ingest.
    for (const other of ['workflows_', 'workflow_activities_', 'ledger_consumer_', 'decisions_total', 'sealer_'])
      expect(ingestText).not.toContain(other);

    const projectorText = await metrics(stack.projector.url);
    expect(projectorText).toMatch(
      /^ledger_consumer_lag_records\{group="projector-[^"]+",topic="[^"]+",partition="\d+"\} \d+/m,
    );
    expect(projectorText).toMatch(
      /^ledger_consumer_records_total\{group="projector-[^"]+",topic="[^"]+",outcome="valid"\} [1-9]/m,
    );
    expect(projectorText).toMatch(/^projector_events_applied_total\{partition="\d+"\} [1-9]/m);

    const dispatcherText = await eventually(
      async () => {
        const t = await metrics(stack.dispatcher.url);
        return /^workflows_running\{workflow="withdrawalPropagation"\} \d+/m.test(t) ? t : undefined;
      },
      30_000,
      'workflow gauges',
    );
    expect(dispatcherText).toMatch(/^workflows_started_total\{workflow="withdrawalPropagation"\} [1-9]/m);
    expect(dispatcherText).toMatch(/^workflows_overdue\{workflow="withdrawalPropagation"\} 0/m);
    expect(dispatcherText).toMatch(/^ledger_consumer_lag_records\{group="dispatcher-/m);

    const workerText = await metrics(stack.worker.url);
    expect(workerText).toMatch(/^workflow_activities_total\{activity="[^"]+",outcome="completed"\} [1-9]/m);
    expect(workerText).toMatch(/^webhook_deliveries_total\{outcome="delivered"\} [1-9]/m);
    expect(workerText).not.toContain('ingest_events_accepted_total');
    expect(projectorText).not.toContain('workflows_');
    expect(dispatcherText).not.toContain('webhook_deliveries_total');
  });
});
