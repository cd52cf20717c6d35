// What the workflow tests and bench share: their own topics, database and task queue; the real
// projector, dispatcher and worker as processes; events put on the ledger through appendOnce (the
// path every writer uses); the revocation routes served by a real express app with a real Temporal
// client; and test webhook receivers.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Router } from 'express';
import { createKafka, partitionCount, type Kafka } from '../../adapters/kafka.js';
import { connectMongo, type Db, type MongoHandle } from '../../adapters/mongo.js';
import { createApp, listen, type RunningServer } from '../../adapters/http/app.js';
import { createLogger } from '../../adapters/logger.js';
import { authenticate } from '../../access/authenticate.js';
import { CredentialStore, type Role } from '../../access/credentials.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { appendOnce } from '../../ledger/appendOnce.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import type { HolderProgress, WithdrawalProgress } from '../../contracts/consent/lifecycle.js';
import { DAY_MS, type Policy } from '../../contracts/consent/policy.js';
import { projectionReader, type ProjectionReader } from '../../projections/reader.js';
import { revocationRoutesFor, type RevocationWiring } from '../../services/query/revocationWiring.js';
import { SIGNATURE_HEADER, IDEMPOTENCY_HEADER, DELIVERY_HEADER } from '../../revocations/webhooks.js';
import { readmeVerifier } from '../harness/readmeVerifier.js';
import { createTestTopics, type TestTopics } from '../harness/topics.js';
import { startService, type RunningService } from '../harness/service.js';
import { readTopic } from '../harness/ledger.js';
import { testEnv } from '../serverEnv.js';
import { dropTestDatabase } from '../harness/databases.js';

export const seconds = (s: number) => (s * 1000) / DAY_MS;

/** What the query service's main.ts passes to the revocation routes, for a test stack's environment. */
export function revocationWiring(
  env: Record<string, string>,
  overrides: Partial<RevocationWiring> = {},
): RevocationWiring {
  return {
    temporal: { address: env.TEMPORAL_ADDRESS ?? testEnv.TEMPORAL_ADDRESS, namespace: testEnv.TEMPORAL_NAMESPACE },
    webhookSigningKey: Buffer.from(env.WEBHOOK_SIGNING_KEY!, 'base64'),
    signalTimeoutMs: 5000,
    ...overrides,
  };
}

export function testPolicy(p: {
  coolingOffS: number;
  acuteS?: number;
  windowS?: number;
  ackS?: number;
  remindS?: number[];
}): Policy {
  return {
    version: 'test-01',
    coolingOffDays: seconds(p.coolingOffS),
    acuteCoolingOffDays: seconds(p.acuteS ?? p.coolingOffS),
    reconfirmationWindowDays: seconds(p.windowS ?? 30),
    reconfirmationReminderDaysBefore: [seconds((p.windowS ?? 30) / 2)],
    reconsentLeadDays: seconds(p.windowS ?? 30),
    personReconfirmation: { windowDays: seconds(p.windowS ?? 30), reminderDaysBefore: [] },
    defaultModel: 'opt-in',
    propagation: { ackWithinDays: seconds(p.ackS ?? 60), reminderDaysBefore: (p.remindS ?? []).map(seconds) },
  };
}

export interface WorkflowStack {
  kafka: Kafka;
  topics: TestTopics;
  mongo: MongoHandle;
  env: Record<string, string>;
  reader: ProjectionReader;
  projector: RunningService;
  dispatcher: RunningService;
  worker: RunningService;
  api?: RunningServer & { url: string };
  startWorker(): Promise<RunningService>;
  append: (events: LedgerEvent[]) => Promise<void>;
  key(role: Role, principal: string): Promise<string>;
  /** A call to the revocation API (needs `ports.api`); a body makes it JSON. */
  call(path: string, key: string, method?: string, body?: unknown): Promise<Response>;
  /** GET /v1/withdrawals/{id}: undefined until it answers 200 with the holders determined. */
  withdrawalStatus(withdrawalId: string, key: string): Promise<WithdrawalStatus | undefined>;
  /** A data user with its own key and a webhook receiver on `port` (closed with the stack). */
  webhookHolder(dataUserId: string, port: number, status: number): Promise<{ key: string; receiver: Receiver }>;
  ledger(): Promise<LedgerEvent[]>;
  close(): Promise<void>;
}

/** One holder's row of GET /v1/withdrawals/{id}. */
export interface WithdrawalHolder {
  dataUserId: string;
  status: HolderProgress;
  noticeId: string | null;
  sentAt: string | null;
  acknowledgedAt: string | null;
  overdue: boolean;
  deliveryAttempts: number;
  webhookDeliveredAt: string | null;
}
export interface WithdrawalStatus {
  status: WithdrawalProgress;
  completedAt: string | null;
  holders: WithdrawalHolder[];
}

/** The query service's revocation routes behind its authentication, as its main.ts wires them. */
export async function serveRevocationApi(
  db: Db,
  wiring: RevocationWiring,
  port: number,
  logLevel = 'warn',
): Promise<RunningServer> {
  const app = createApp({
    log: createLogger('revocation-api-test', logLevel),
    readiness: {},
    routers: [Router().use('/v1', authenticate(new CredentialStore(db))), revocationRoutesFor(db, wiring)],
  });
  return listen(app, port);
}

export interface StackPorts {
  projector: number;
  dispatcher: number;
  worker: number;
  api?: number;
}

export async function startWorkflowStack(
  tag: string,
  ports: StackPorts,
  policy: Policy,
  extraEnv: Record<string, string> = {},
): Promise<WorkflowStack> {
  const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `workflow-test-${tag}` });
  const topics = await createTestTopics(kafka, tag);
  const db = `workflows_test_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const env: Record<string, string> = {
    ...topics.env,
    MONGO_DB: db,
    TEMPORAL_TASK_QUEUE: `wf-${tag}`,
    TEMPORAL_PROPAGATION_TASK_QUEUE: `wfp-${tag}`,
    CONSENT_POLICIES: JSON.stringify([policy]),
    PROJECTOR_PORT: String(ports.projector),
    PROJECTOR_GROUP_ID: `projector-${tag}`,
    DISPATCHER_PORT: String(ports.dispatcher),
    DISPATCHER_GROUP_ID: `dispatcher-${tag}`,
    WORKER_PORT: String(ports.worker),
    WEBHOOK_SIGNING_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_MAX_BACKOFF_MS: '2000',
    PROJECTION_WAIT_MS: '5000',
    WEBHOOK_TIMEOUT_MS: '2000',
    ...extraEnv,
  };
  const mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
  const creds = new CredentialStore(mongo.db);
  const ledger = await openLedgerAppender({
    kafka,
    db: mongo.db,
    owner: randomUUID(),
    log: createLogger(`workflow-test-${tag}`, 'warn'),
    topic: topics.names.ledger,
    partitions: await partitionCount(kafka, topics.names.ledger),
  });
  const receivers: Receiver[] = [];
  const startWorker = () => startService('worker', env, ports.worker, `worker-${tag}`);
  const [projector, dispatcher, worker] = await Promise.all([
    startService('projector', env, ports.projector, `projector-${tag}`),
    startService('dispatcher', env, ports.dispatcher, `dispatcher-${tag}`),
    startWorker(),
  ]);
  let api: WorkflowStack['api'];
  if (ports.api) {
    const server = await serveRevocationApi(mongo.db, revocationWiring(env), ports.api);
    api = { ...server, url: `http://127.0.0.1:${ports.api}` };
  }
  const stack: WorkflowStack = {
    kafka,
    topics,
    mongo,
    env,
    reader: projectionReader(mongo.db),
    projector,
    dispatcher,
    worker,
    api,
    startWorker,
    append: async (events) => {
      await appendOnce(ledger, events);
    },
    key: async (role, principal) => (await creds.create(role, principal)).apiKey,
    call: (path, key, method = 'GET', body) => {
      if (!api) throw new Error('this workflow stack was started without the revocation API (ports.api)');
      return fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    },
    withdrawalStatus: async (withdrawalId, key) => {
      const res = await stack.call(`/v1/withdrawals/${withdrawalId}`, key).catch(() => undefined);
      if (res?.status !== 200) return undefined;
      const body = (await res.json()) as WithdrawalStatus;
      return body.status === 'determining-holders' ? undefined : body;
    },
    webhookHolder: async (dataUserId, port, status) => {
      const key = await stack.key('dataUser', dataUserId);
      const receiver = await startReceiver(port, status);
      receivers.push(receiver);
      const res = await stack.call(`/v1/data-users/${dataUserId}/webhook`, key, 'PUT', { url: receiver.url });
      if (res.status !== 200) throw new Error(`webhook registration for ${dataUserId} answered ${res.status}`);
      // The secret exactly as returned: the README says that is the key.
      receiver.secret = ((await res.json()) as { secret: string }).secret;
      return { key, receiver };
    },
    ledger: async () =>
      (await readTopic(kafka, topics.names.ledger)).map((r) => JSON.parse(r.value.toString('utf8')) as LedgerEvent),
    close: async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await api?.close();
      await Promise.all([stack.worker.stop(), dispatcher.stop(), projector.stop()]);
      await ledger.close();
      await dropTestDatabase(mongo.db);
      await mongo.close();
    },
  };
  return stack;
}

/** Polls `fn` until it returns a value that is not undefined (bounded). */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 45_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// --- test webhook receivers -----------------------------------------------------------------------

export interface Delivery {
  noticeId: string;
  kind: string;
  idempotencyKey: string;
  signatureValid: boolean;
  body: { notice: { noticeId: string; acknowledgePath: string } };
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Answer every request with this status (200 = accept). */
  status: number;
  /** The signing secret as registered; deliveries are checked with the README's verifier. */
  secret?: string;
  onDelivery?: (d: Delivery) => void;
  close(): Promise<void>;
}

/** A data user's receiver as the README describes it: deliveries that do not verify get 401. */
export async function startReceiver(port: number, status = 200): Promise<Receiver> {
  const verify = await readmeVerifier();
  const r: Receiver = { url: `http://127.0.0.1:${port}/hook`, deliveries: [], status, close: async () => {} };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((raw) => {
      if (r.status !== 200) {
        res.writeHead(r.status).end();
        return;
      }
      const signatureValid =
        r.secret !== undefined && verify(r.secret, raw, req.headers[SIGNATURE_HEADER] as string | undefined);
      const body = JSON.parse(raw) as Delivery['body'];
      const d: Delivery = {
        noticeId: body.notice.noticeId,
        kind: String(req.headers[DELIVERY_HEADER]),
        idempotencyKey: String(req.headers[IDEMPOTENCY_HEADER]),
        signatureValid,
        body,
      };
      // A receiver that cannot verify the signature refuses the delivery (it is retried).
      if (!signatureValid) {
        res.writeHead(401).end();
        return;
      }
      r.deliveries.push(d);
      res.writeHead(200).end();
      r.onDelivery?.(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  r.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return r;
}
