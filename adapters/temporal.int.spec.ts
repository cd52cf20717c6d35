import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { connectTemporalClient, connectTemporalWorker } from './temporal.js';
import { testEnv, runId } from '../test/serverEnv.js';
import { approve, status, timerOrSignal } from '../test/fixtures/timerOrSignal.workflow.js';

const settings = { address: testEnv.TEMPORAL_ADDRESS, namespace: testEnv.TEMPORAL_NAMESPACE };
const taskQueue = `adapter-test-${runId}`;

describe('Temporal adapter against the dev server', () => {
  let worker: Worker;
  let running: Promise<void>;
  let temporal: Awaited<ReturnType<typeof connectTemporalClient>>;

  beforeAll(async () => {
    const connection = await connectTemporalWorker(settings);
    worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../test/fixtures/timerOrSignal.workflow.ts', import.meta.url)),
    });
    running = worker.run();
    temporal = await connectTemporalClient(settings);
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await temporal?.close();
  });

  it('a signal ends the wait before the timer', async () => {
    const handle = await temporal.client.workflow.start(timerOrSignal, {
      taskQueue,
      workflowId: `signal-${runId}`,
      args: [60_000],
    });
    await expect.poll(() => handle.query(status)).toBe('waiting');
    await handle.signal(approve, 'guardian');
    expect(await handle.result()).toBe('signalled by guardian');
  });

  it('the durable timer fires when no signal comes', async () => {
    const handle = await temporal.client.workflow.start(timerOrSignal, {
      taskQueue,
      workflowId: `timer-${runId}`,
      args: [1500],
    });
    expect(await handle.result()).toBe('timed out');
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.timerFiredEventAttributes)).toBe(true);
  });

  it('a second start with the same workflow id is refused, not run twice', async () => {
    const id = `dup-${runId}`;
    await temporal.client.workflow.start(timerOrSignal, { taskQueue, workflowId: id, args: [60_000] });
    await expect(
      temporal.client.workflow.start(timerOrSignal, { taskQueue, workflowId: id, args: [60_000] }),
    ).rejects.toThrow(/already started/i);
    await temporal.client.workflow.getHandle(id).terminate('test done');
  });
});
