// What the query service's integration and e2e tests share: their own topics and database, the real
// projector (and optionally ingest) as processes, credentials per role, and a way to put events on the
// ledger directly (the same appendOnce path system components use).
import { randomUUID } from 'node:crypto';
import { createKafka, partitionCount, type Kafka } from '../../adapters/kafka.js';
import { createLogger } from '../../adapters/logger.js';
import { connectMongo, type MongoHandle } from '../../adapters/mongo.js';
import { CredentialStore } from '../../access/credentials.js';
import type { Role } from '../../access/credentials.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { appendOnce, type LedgerAppender } from '../../ledger/appendOnce.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { createTestTopics, type TestTopics } from '../harness/topics.js';
import { startService, type RunningService } from '../harness/service.js';
import { testEnv } from '../serverEnv.js';
import { dropTestDatabase } from '../harness/databases.js';

export interface QueryStack {
  kafka: Kafka;
  topics: TestTopics;
  mongo: MongoHandle;
  env: Record<string, string>;
  projector: RunningService;
  query: RunningService;
  ingest?: RunningService;
  key(role: Role, principal: string): Promise<string>;
  append(events: LedgerEvent[]): Promise<void>;
  /** The appendOnce path itself, for activities built in the test process (they take a LedgerAppender). */
  appender: LedgerAppender;
  /** Straight through the LedgerWriter, no receipts: for seeding benchmarks with fresh ids. */
  write(events: LedgerEvent[]): Promise<void>;
  call(path: string, key: string, init?: { method?: string; body?: unknown; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startQueryStack(
  tag: string,
  ports: { query: number; projector: number; ingest?: number },
  extraEnv: Record<string, string> = {},
): Promise<QueryStack> {
  const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `query-test-${tag}` });
  const topics = await createTestTopics(kafka, tag);
  const db = `query_test_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const env = {
    ...topics.env,
    MONGO_DB: db,
    QUERY_PORT: String(ports.query),
    PROJECTOR_PORT: String(ports.projector),
    PROJECTOR_GROUP_ID: `projector-${tag}`,
    // The query service's NHS-number lookup must give the ingest's pseudonyms: one key for both.
    PSEUDONYM_KEY: Buffer.alloc(32, 7).toString('base64'),
    ...extraEnv,
  };
  const mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
  const creds = new CredentialStore(mongo.db);
  const ledger = await openLedgerAppender({
    kafka,
    db: mongo.db,
    owner: randomUUID(),
    log: createLogger(`query-test-${tag}`, 'warn'),
    topic: topics.names.ledger,
    partitions: await partitionCount(kafka, topics.names.ledger),
  });
  const projector = await startService('projector', env, ports.projector, `projector-${tag}`);
  const query = await startService('query', env, ports.query, `query-${tag}`);
  const ingest = ports.ingest
    ? await startService('ingest', { ...env, INGEST_PORT: String(ports.ingest) }, ports.ingest, `ingest-${tag}`)
    : undefined;
  return {
    kafka,
    topics,
    mongo,
    env,
    projector,
    query,
    ingest,
    appender: ledger,
    key: async (role, principal) => (await creds.create(role, principal)).apiKey,
    append: async (events) => {
      await appendOnce(ledger, events);
    },
    write: async (events) => {
      await ledger.writer.appendAll(events);
    },
    call: (path, key, init = {}) =>
      fetch(`${path.startsWith('http') ? '' : query.url}${path}`, {
        method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
        headers: {
          authorization: `Bearer ${key}`,
          ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.raw !== undefined
          ? { body: init.raw }
          : init.body !== undefined
            ? { body: JSON.stringify(init.body) }
            : {}),
      }),
    close: async () => {
      await Promise.all([query.stop(), projector.stop(), ingest?.stop()]);
      await ledger.close();
      await dropTestDatabase(mongo.db);
      await mongo.close();
    },
  };
}

/** A ledger event as a system component or hospital would record it (time = now). */
export function ledgerEvent(
  type: LedgerEvent['type'],
  id: string,
  subject: string,
  data: Record<string, unknown>,
  source = 'org:rxh',
): LedgerEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataversion: 1,
    data: { occurredAt: new Date(Date.now() - 1000).toISOString(), ...data },
  } as unknown as LedgerEvent;
}

export const SCOPE_ALL = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' } as const;
export const NHS_ACADEMIC_RESEARCH = {
  purposes: ['research', 'ai-training'],
  dataCategories: '*',
  dataUserCategories: ['nhs', 'academic'],
  jurisdictions: ['uk'],
};

export const consentGiven = (id: string, subject: string, scope: object = NHS_ACADEMIC_RESEARCH, occurredAt?: string) =>
  ledgerEvent('consent.given', id, subject, {
    ...(occurredAt && { occurredAt }),
    scope,
    capture: { channel: 'in-person', setting: 'routine' },
    policyVersion: '2026-01',
  });
/** What the cooling-off workflow writes when the period ends (fed directly: the workflow helper builds the real timer). */
export const consentEffective = (consentId: string, subject: string) =>
  ledgerEvent(
    'consent.effective',
    `${consentId}.effective`,
    subject,
    { consentId, policyVersion: '2026-01' },
    'sys:worker',
  );

export function approvals(purposes: string[]) {
  return purposes.map((purpose) => ({ purpose, reference: `DAC-${purpose}-001`, expiresAt: '2030-01-01T00:00:00Z' }));
}
