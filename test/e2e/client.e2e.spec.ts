// The client library (client/) as its users run it, on the real services (ingest, query, projector,
// dispatcher, worker) and servers: a hospital records a consent, a release and a withdrawal through the
// retrying recorder (the withdrawal sent twice, the second answered as a replay); the data user asks
// decisions with the typed query client, gets the revocation notice from the Kafka topic through the
// revocation consumer and by webhook, verified with the client's verifier, and acknowledges it; the
// withdrawal then completes.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hospital,
  queryClient,
  RevocationConsumer,
  verifiedDelivery,
  SIGNATURE_HEADER,
  type Hospital,
  type QueryClient,
  type WebhookDelivery,
} from '../../client/index.js';
import { runId } from '../serverEnv.js';
import { syntheticNhsNumbers } from '../harness/nhsNumbers.js';
import { startService, type RunningService } from '../harness/service.js';
import { startTcpProxy } from '../harness/tcpProxy.js';
import { SCOPE_ALL, startQueryStack, type QueryStack } from './queryKit.js';
import { eventually, testPolicy } from './workflowKit.js';

const policy = testPolicy({ coolingOffS: 1, ackS: 120 });
const DU = `du_uni_cl_${runId}`;
const PORTS = {
  query: 18540,
  projector: 18541,
  ingest: 18542,
  dispatcher: 18543,
  worker: 18544,
  receiver: 18545,
  proxy: 18546,
};

describe('the client library, as a hospital and a data user use it', () => {
  let s: QueryStack;
  let dispatcher: RunningService, worker: RunningService;
  let rxh: Hospital, rxhQuery: QueryClient, uni: QueryClient;
  let receiver: Server;
  let secret = '';
  let hospitalKey = '';
  const deliveries: WebhookDelivery[] = [];
  const refused: number[] = [];

  beforeAll(async () => {
    const tag = `cl-${runId}`;
    s = await startQueryStack(
      tag,
      { query: PORTS.query, projector: PORTS.projector, ingest: PORTS.ingest },
      {
        CONSENT_POLICIES: JSON.stringify([policy]),
        TEMPORAL_TASK_QUEUE: `wf-${tag}`,
        TEMPORAL_PROPAGATION_TASK_QUEUE: `wfp-${tag}`,
        WEBHOOK_MAX_BACKOFF_MS: '2000',
        PROJECTION_WAIT_MS: '5000',
      },
    );
    const env = {
      ...s.env,
      DISPATCHER_PORT: String(PORTS.dispatcher),
      DISPATCHER_GROUP_ID: `dispatcher-${tag}`,
      WORKER_PORT: String(PORTS.worker),
    };
    [dispatcher, worker] = await Promise.all([
      startService('dispatcher', env, PORTS.dispatcher, `dispatcher-${tag}`),
      startService('worker', env, PORTS.worker, `worker-${tag}`),
    ]);
    let adminKey: string, uniKey: string;
    [hospitalKey, adminKey, uniKey] = await Promise.all([
      s.key('hospital', 'org:rxh'),
      s.key('admin', 'admin:ops'),
      s.key('dataUser', DU),
    ]);
    rxh = hospital({ baseUrl: s.ingest!.url, apiKey: hospitalKey });
    rxhQuery = queryClient({ baseUrl: s.query.url, apiKey: hospitalKey });
    uni = queryClient({ baseUrl: s.query.url, apiKey: uniKey });
    const admin = queryClient({ baseUrl: s.query.url, apiKey: adminKey });
    const registered = await admin.POST('/v1/data-users', {
      body: {
        dataUserId: DU,
        name: 'university',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: [{ purpose: 'research', reference: 'DAC-research-001', expiresAt: '2030-01-01T00:00:00Z' }],
      },
    });
    expect(registered.response.status).toBe(202);

    // The data user's webhook receiver, written as the README says: verify the raw body, then handle.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const header = req.headers[SIGNATURE_HEADER];
          deliveries.push(
            verifiedDelivery(secret, Buffer.concat(chunks), typeof header === 'string' ? header : undefined),
          );
          res.writeHead(200).end();
        } catch {
          refused.push(Date.now());
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((r) => receiver.listen(PORTS.receiver, '127.0.0.1', r));
    const hook = await uni.PUT('/v1/data-users/{id}/webhook', {
      params: { path: { id: DU } },
      body: { url: `http://127.0.0.1:${PORTS.receiver}/hook` },
    });
    expect(hook.response.status).toBe(200);
    secret = hook.data!.secret;
  }, 180_000);

  afterAll(async () => {
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await Promise.all([dispatcher?.stop(), worker?.stop()]);
    await s?.close();
  }, 60_000);

  it('consent, release, withdrawal → deny at once, the notice on the topic and by webhook, acknowledged → completed', async () => {
    const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 5151);
    const occurredAt = () => new Date().toISOString();
    const decide = async (subject: string) => {
      const { data, response } = await uni.POST('/v1/decisions', {
        body: { subject, purpose: 'research', dataCategory: 'ehr' },
      });
      expect(response.status).toBe(200);
      return data!;
    };

    const given = await rxh.record({
      specversion: '1.0',
      id: `cl-${runId}-consent`,
      source: 'org:rxh',
      type: 'consent.given',
      dataversion: 2,
      nhsNumber: nhsNumber!,
      data: {
        occurredAt: occurredAt(),
        scope: {
          purposes: ['research'],
          dataCategories: '*',
          dataUserCategories: ['nhs', 'academic'],
          jurisdictions: ['uk'],
        },
        capture: { channel: 'in-person', setting: 'routine' },
        policyVersion: policy.version,
        expressedBy: { role: 'person' },
      },
    });
    expect(given.replayed).toBe(false);
    const subject = given.receipt.subject;
    // The cooling-off workflow (1 s on this policy) makes it effective.
    await eventually(async () => ((await decide(subject)).decision === 'permit' ? true : undefined), 30_000, 'permit');

    const release = await rxhQuery.POST('/v1/releases', {
      body: {
        releaseId: `cl-${runId}-rel`,
        dataUserId: DU,
        purpose: 'research',
        dataCategories: ['ehr'],
        subjects: [subject],
      },
    });
    expect(release.response.status).toBe(202);

    const notices = new RevocationConsumer({
      kafka: s.kafka,
      groupId: `data-user-${DU}`,
      dataUserId: DU,
      topic: s.topics.names.revocations,
    });
    const fromTopic = (async () => {
      for await (const received of notices.notices()) return received;
      return undefined;
    })();

    const withdrawal = {
      specversion: '1.0',
      id: `cl-${runId}-withdrawal`,
      source: 'org:rxh',
      type: 'consent.withdrawn',
      dataversion: 2,
      subject,
      data: { occurredAt: occurredAt(), scope: SCOPE_ALL, expressedBy: { role: 'person' } },
    } as const;
    const w = await rxh.record(withdrawal);
    // The same event again (a retry after a lost answer) is success: the same receipt, nothing written.
    const again = await rxh.record(withdrawal);
    expect(again).toMatchObject({ replayed: true, receipt: w.receipt });

    expect(await decide(subject)).toMatchObject({
      decision: 'deny',
      reasons: [{ code: 'withdrawn', eventIds: [withdrawal.id] }],
    });

    const received = (await fromTopic)!;
    expect(received.notice).toMatchObject({ withdrawalId: withdrawal.id, subject, dataUserId: DU });
    expect(received.eventId).toBe(received.notice.noticeId);

    const delivered = await eventually(
      async () => deliveries.find((d) => d.notice.noticeId === received.notice.noticeId),
      45_000,
      'the webhook delivery',
    );
    expect(delivered.type).toBe('revocation.notice');
    expect(refused).toEqual([]);

    const ack = await uni.POST('/v1/revocations/{noticeId}/acknowledgement', {
      params: { path: { noticeId: received.notice.noticeId } },
      body: {
        attestation: { action: 'deleted', performedAt: occurredAt(), performedBy: { role: 'data-protection-officer' } },
      },
    });
    expect(ack.response.status).toBe(202);
    expect(ack.data?.noticeId).toBe(received.notice.noticeId);

    const done = await eventually(
      async () => {
        const { data } = await rxhQuery.GET('/v1/withdrawals/{eventId}', {
          params: { path: { eventId: withdrawal.id } },
        });
        return data?.status === 'completed' ? data : undefined;
      },
      45_000,
      'withdrawal.completed',
    );
    expect(done.holders).toMatchObject([{ dataUserId: DU, status: 'attested-deleted' }]);
  }, 150_000);
  it('ingest unreachable: the recorder retries the same event once the network is back, and it is recorded once', async () => {
    const proxy = await startTcpProxy(PORTS.proxy, '127.0.0.1', PORTS.ingest);
    await proxy.cut(); // as a partition does: connections refused
    const waits: number[] = [];
    const cutOff = hospital({
      baseUrl: `http://127.0.0.1:${PORTS.proxy}`,
      apiKey: hospitalKey,
      // The network comes back while the recorder waits to retry.
      sleep: async (ms) => {
        waits.push(ms);
        await proxy.restore();
      },
    });
    const [nhsNumber] = syntheticNhsNumbers(1, Date.now() + 6262);
    const optOut = {
      specversion: '1.0',
      id: `cl-${runId}-optout`,
      source: 'org:rxh',
      type: 'optout.registered',
      dataversion: 2,
      nhsNumber: nhsNumber!,
      data: {
        occurredAt: new Date().toISOString(),
        scope: SCOPE_ALL,
        national: false,
        expressedBy: { role: 'person' },
      },
    } as const;
    try {
      const r = await cutOff.record(optOut);
      expect(r).toMatchObject({ replayed: false, attempts: 2, receipt: { eventId: optOut.id } });
      expect(waits).toHaveLength(1);
      // Sent again directly: the ledger has it once, the same receipt comes back.
      expect(await rxh.record(optOut)).toMatchObject({ replayed: true, receipt: r.receipt });
    } finally {
      await proxy.close();
    }
  });
});
