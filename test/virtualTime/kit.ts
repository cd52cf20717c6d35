// Virtual-time workflow tests: the real workflows (workflows/index.ts) and the real activities
// (createActivities) on Temporal's Java test server with time skipping, so the default policy's 14-,
// 28-, 30- and 58-day paths run in seconds. One environment per test file (startVirtualTime in
// beforeAll); time is global to it, so each test takes its own start instant from `now()` and its
// own subject and event ids.
//
// Virtual time moves only when a test says so (`sleep`, `sleepUntil`). The SDK's time-skipping client
// also lets it run while awaiting a workflow's result, up to whatever timer is next — of any workflow
// in the environment — and, once a workflow has closed, ten years on (seen with test server 1.38.0:
// 3,650 days after the close). So the kit starts, signals and reads results with a plain client:
// a test sleeps to the instant it means, then reads what happened by then.
//
// Ledger events enter as on the real system: appended through appendOnce onto the in-memory ledger,
// then handed to the dispatcher's own dispatchOne, which starts or signals the workflow exactly as
// services/dispatcher does (same inputs, same cancellation rule). Activities read and write the
// in-memory ledger and stores (memoryLedger.ts, memoryStores.ts); their clock is the test server's.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import { Client, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig } from '../../adapters/config.js';
import type { Producer } from '../../adapters/kafka.js';
import { createLogger } from '../../adapters/logger.js';
import type { Attestation } from '../../contracts/consent/attestation.js';
import type { DataUserContext } from '../../contracts/consent/decide.js';
import { dataSchemaId, type EventOf, type EventType, type LedgerEvent } from '../../contracts/consent/events.js';
import { foldEvents, type SubjectState } from '../../contracts/consent/fold.js';
import { DEFAULT_POLICY_SET, type PolicySet } from '../../contracts/consent/policy.js';
import { TOPICS } from '../../contracts/topics.js';
import { appendOnce } from '../../ledger/appendOnce.js';
import type { NoticeStore } from '../../revocations/notices.js';
import type { WebhookRegistry } from '../../revocations/webhooks.js';
import { dispatchOne, type DispatchDeps } from '../../services/dispatcher/dispatch.js';
import { createActivities } from '../../workflows/activities/index.js';
import { noticeIdFor } from '../../workflows/activities/ids.js';
import type { OrganisationNotifications } from '../../workflows/activities/organisationNotifications.js';
import { acknowledgeSignal } from '../../workflows/signals.js';
import { propagationWorkflowId, SEARCH_ATTRIBUTES, workflowIds } from '../../workflows/types.js';
import { memoryLedger } from './memoryLedger.js';
import { memoryNotices, memoryNotifications, memoryRevocationsTopic, memoryWebhooks } from './memoryStores.js';

export { workflowIds };

/** A valid pseudonymous subject id per test (the ledger accepts sub_ + 16-64 characters). */
export const subjectFor = (name: string): string => `sub_vtime_${name}`.padEnd(20, '_');

const config = () =>
  loadConfig(
    z.object({
      TEMPORAL_TEST_SERVER: z.string({
        error: 'is required but not set: run through infra/stack.sh (make test, make test-workflows)',
      }),
    }),
  );

export interface VirtualTimeOptions {
  /** The policy versions the dispatcher holds (default: DEFAULT_POLICY only). */
  policies?: PolicySet;
}

export type VirtualTime = Awaited<ReturnType<typeof startVirtualTime>>;

export async function startVirtualTime(o: VirtualTimeOptions = {}) {
  quietRuntime();
  const env = await createEnvironment(config().TEMPORAL_TEST_SERVER);
  // The dispatcher tags every workflow with these; the dev server registers them at start (temporal.sh).
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      Object.values(SEARCH_ATTRIBUTES).map((name) => [
        name,
        proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  // Two queues and two Workers, as services/worker runs them: the lifecycle's and propagation's own.
  const taskQueue = `vtime-${randomUUID()}`;
  const propagationTaskQueue = `${taskQueue}-propagation`;
  const ledger = memoryLedger();
  const notices = memoryNotices();
  const notifications = memoryNotifications();
  const revocations = memoryRevocationsTopic();
  const log = createLogger('vtime', 'silent');
  const activities = withLocalVirtualTime(
    env,
    createActivities({
      ledger: ledger.appender,
      projection: ledger.projection,
      // The activities call only the methods these objects have (the types name MongoDB-backed classes).
      notices: notices.store as NoticeStore,
      webhooks: memoryWebhooks() as WebhookRegistry, // no webhooks: every holder pulls its notices
      revocations: { producer: revocations.producer as Producer, topic: TOPICS.revocations },
      notifications: notifications.store as OrganisationNotifications,
      log,
      now: serverTimeInActivity,
      projectionWaitMs: 1000,
      webhookTimeoutMs: 2000,
    }),
  );
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  const workers = await Promise.all(
    [taskQueue, propagationTaskQueue].map((queue) =>
      Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle, activities }),
    ),
  );
  const running = Promise.all(workers.map((w) => w.run()));
  // Not env.client: see the note at the top on time skipping while awaiting results.
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const dispatch: DispatchDeps = {
    client,
    taskQueue,
    propagationTaskQueue,
    projection: ledger.projection,
    policies: o.policies ?? DEFAULT_POLICY_SET,
    log,
    projectionWaitMs: 1000,
    deliveryMaxIntervalMs: 600_000, // the dispatcher's default (WEBHOOK_MAX_BACKOFF_MS)
    concurrency: 1,
  };

  const now = async (): Promise<string> => new Date(await env.currentTimeMs()).toISOString();
  return {
    env,
    ledger,
    notices,
    notifications,
    revocations,
    /** The test server's current time. */
    now,
    /** Let virtual time run on by `duration` ('3 days', ms): timers due meanwhile fire, in order, and
     *  their workflow tasks and activities run (time stands still while any is outstanding). */
    sleep: (duration: string | number) => env.sleep(duration),
    /** Let virtual time run on until just past `at` (a second), so that what is due AT `at` has happened. */
    async sleepUntil(at: string) {
      const ms = Date.parse(at) + SETTLE_MS - (await env.currentTimeMs());
      if (ms > 0) await env.sleep(ms);
    },
    /** Puts a ledger event on the in-memory ledger and dispatches it as services/dispatcher would. */
    async record(...events: LedgerEvent[]): Promise<void> {
      const appended = await appendOnce(ledger.appender, events);
      for (const a of appended) {
        if (a.replayed) continue;
        await dispatchOne(dispatch, { event: a.event, ...a.position, headers: {} });
      }
    },
    /** A data user in the registry (dataUser.registered on the ledger), as the registry route writes it. */
    registerDataUser: (user: DataUserContext, at: string) => appendOnce(ledger.appender, [registered(user, at)]),
    /** What the acknowledgement route does: keep the acknowledgement (with its attestation, if any), then
     *  signal the workflow waiting for it (the withdrawal's notice to `dataUserId`, or the notice `noticeId`). */
    async acknowledge(
      withdrawalId: string,
      dataUserId: string,
      o: { noticeId?: string; attestation?: Attestation } = {},
    ): Promise<string> {
      const noticeId = o.noticeId ?? noticeIdFor(withdrawalId, dataUserId);
      const doc = await notices.store.receiveAcknowledgement(noticeId, await now(), o.attestation);
      if (!doc) throw new Error(`no notice ${noticeId} has been issued`);
      await client.workflow.getHandle(propagationWorkflowId(withdrawalId, noticeId)).signal(acknowledgeSignal, {
        dataUserId,
        noticeId,
        at: doc.ackReceivedAt!,
        ...(doc.attestation && { attestation: doc.attestation }),
      });
      return doc.ackReceivedAt!;
    },
    handle: (workflowId: string): WorkflowHandle => client.workflow.getHandle(workflowId),
    /** The result of a workflow that has closed by now; throws, naming the virtual time, while it runs
     *  (waiting would not move virtual time: sleep to the instant first). */
    async result<T = unknown>(workflowId: string): Promise<T> {
      const handle = client.workflow.getHandle(workflowId);
      // The timer has fired in virtual time, but its activities run in real time: on a loaded machine
      // give them a moment (virtual time stands still meanwhile: the plain client does not skip it).
      const deadline = Date.now() + 20_000;
      while ((await handle.describe()).status.name === 'RUNNING') {
        if (Date.now() > deadline) throw new Error(`${workflowId} is still running at ${await now()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return handle.result() as Promise<T>;
    },
    /** A subject's events in ledger order, optionally of some types only. */
    events: (subject: string, ...types: EventType[]): LedgerEvent[] =>
      ledger.records
        .map((r) => r.event)
        .filter((e) => e.subject === subject && (types.length === 0 || types.includes(e.type))),
    /** The subject's state folded from its ledger events — up to and including `upTo` when given, i.e.
     *  what the projection held the moment that event was applied. */
    stateOf(subject: string, upTo?: string): SubjectState {
      const own = ledger.records.filter((r) => r.event.subject === subject);
      const end = upTo === undefined ? own.length : own.findIndex((r) => r.event.id === upTo) + 1;
      if (end === 0) throw new Error(`${subject} has no event ${upTo ?? ''}`);
      return foldEvents(own.slice(0, end));
    },
    /** The one event of `type` that `subject` has (throws when there are none or several). */
    only<T extends EventType>(subject: string, type: T): EventOf<T> {
      const found = ledger.records.filter((r) => r.event.subject === subject && r.event.type === type);
      if (found.length !== 1) throw new Error(`${subject} has ${found.length} ${type} events, expected one`);
      return found[0]!.event as EventOf<T>;
    },
    /** The task queues the workflows run on (lifecycle, propagation). */
    taskQueues: { lifecycle: taskQueue, propagation: propagationTaskQueue },
    async close(): Promise<void> {
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** How far past an instant `sleepUntil` goes: enough for the workflow task a timer at that instant starts. */
const SETTLE_MS = 1000;

/**
 * Inside an activity, "now" is the test server's virtual time: the instant it scheduled this attempt
 * (time does not skip while an activity runs). A local activity is scheduled by the worker itself, on
 * the real clock: it gets the server's time read as it starts (withLocalVirtualTime). Anywhere else
 * there is no such clock: fail loudly.
 */
function serverTimeInActivity(): Date {
  const local = localVirtualNow.getStore();
  return new Date(local ?? Context.current().info.currentAttemptScheduledTimestampMs);
}

const localVirtualNow = new AsyncLocalStorage<number>();

/** Each activity, when run as a local activity, runs with the test server's time as its "now". */
function withLocalVirtualTime<A extends Record<string, (...args: never[]) => Promise<unknown>>>(
  env: TestWorkflowEnvironment,
  activities: A,
): A {
  const wrapped = Object.entries(activities).map(([name, run]) => [
    name,
    async (...args: never[]) =>
      Context.current().info.isLocal
        ? localVirtualNow.run(await env.currentTimeMs(), () => run(...args))
        : run(...args),
  ]);
  return Object.fromEntries(wrapped) as A;
}

/** sdk-core gives the test server 5 s (fixed) to answer; a loaded 2-core machine can miss that once. */
async function createEnvironment(path: string): Promise<TestWorkflowEnvironment> {
  const create = () =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  try {
    return await create();
  } catch (err) {
    if (!String(err).includes('did not start within')) throw err;
    return create();
  }
}

/** The worker's info lines (state changes, bundle sizes) and sdk-core's notes on the test server's
 *  capabilities drown the test output; the SDK's warnings and both sides' errors stay. */
function quietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // Already installed in this process (another file of the same worker): keep that one.
  }
}

function registered(user: DataUserContext, at: string): EventOf<'dataUser.registered'> {
  return {
    specversion: '1.0',
    id: `reg.${user.id}`,
    source: 'sys:registry',
    type: 'dataUser.registered',
    subject: user.id,
    time: at,
    recordedtime: at,
    datacontenttype: 'application/json',
    dataschema: dataSchemaId('dataUser.registered'),
    dataversion: 1,
    data: {
      occurredAt: at,
      dataUserId: user.id,
      name: `Data user ${user.id}`,
      category: user.category,
      jurisdiction: user.jurisdiction,
      approvals: [...user.approvals],
    },
  };
}
