// The dispatcher's order within a batch and its two lanes, on a recording Temporal client (what is
// started or signalled, in which order, on which queue). The starts themselves are tested on the
// real servers (workflows/*.int.spec.ts) and in virtual time.
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { given, released, withdrawn } from '../../contracts/consent/fixtures.js';
import { DEFAULT_POLICY, policySet } from '../../contracts/consent/policy.js';
import { createLogger } from '../../adapters/logger.js';
import type { LedgerRecord } from '../../ledger/reader.js';
import { dispatchBatch, type DispatchDeps } from './dispatch.js';

const subject = (name: string) => `sub_dispatch_${name}`.padEnd(20, '_');

function recording() {
  const calls: string[] = [];
  const client = {
    workflow: {
      start: (_type: string, o: { workflowId: string; taskQueue: string }) => {
        calls.push(`start ${o.workflowId} on ${o.taskQueue}`);
        return Promise.resolve();
      },
      getHandle: (id: string) => ({
        signal: () => {
          calls.push(`signal ${id}`);
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
  const deps: DispatchDeps = {
    client,
    taskQueue: 'lifecycle',
    propagationTaskQueue: 'propagation',
    // No subject state: nothing to cancel, no release after refusal.
    projection: {
      subject: () => Promise.resolve(undefined),
      dataUser: () => Promise.resolve(undefined),
      waitForOffset: () => Promise.resolve(true),
    },
    policies: policySet([{ ...DEFAULT_POLICY, version: '2026-01' }]),
    log: createLogger('dispatch-unit', 'silent'),
    projectionWaitMs: 100,
    deliveryMaxIntervalMs: 1000,
    concurrency: 1,
  };
  return { calls, deps };
}
const records = (...events: LedgerEvent[]): LedgerRecord[] =>
  events.map((event, i) => ({ event, partition: 0, offset: String(i), headers: {} }));

const batch = records(
  given('c-a', 0, { subject: subject('a') }),
  given('c-b', 0, { subject: subject('b') }),
  given('c-w', 0, { subject: subject('w') }),
  given('c-c', 0, { subject: subject('c') }),
  withdrawn('w-w', 1, { subject: subject('w') }),
  released('r-c', 'du_uni', 1, { subject: subject('c') }),
);

describe('dispatchBatch', () => {
  it('lifecycle lane: the subjects with a refusal first, each subject in ledger order; no propagation starts', async () => {
    const { calls, deps } = recording();
    await dispatchBatch(deps, batch, 'lifecycle');
    expect(calls).toEqual([
      'start coolingOff:c-w on lifecycle', // the withdrawn subject's consent before anything else …
      'start coolingOff:c-a on lifecycle', // … then the others, in ledger order
      'start coolingOff:c-b on lifecycle',
      'start coolingOff:c-c on lifecycle',
    ]);
  });

  it('propagation lane: only the withdrawal, on the propagation queue, whatever consents come before it', async () => {
    const { calls, deps } = recording();
    await dispatchBatch(deps, batch, 'propagation');
    expect(calls).toEqual(['start withdrawal:w-w on propagation']);
  });

  it('propagation lane: a withdrawal starts while the releases before it still wait for the projection', async () => {
    const { calls, deps } = recording();
    let projectorCaughtUp: (reached: boolean) => void = () => undefined;
    deps.projection.waitForOffset = () => {
      calls.push('release waits for the projection');
      return new Promise((resolve) => (projectorCaughtUp = resolve));
    };
    const w = subject('w');
    const dispatched = dispatchBatch(
      deps,
      records(released('r-1', 'du_uni', 0, { subject: w }), withdrawn('w-w', 1, { subject: w })),
      'propagation',
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['start withdrawal:w-w on propagation', 'release waits for the projection']);
    projectorCaughtUp(true);
    await dispatched; // and the batch is done (committed) only once the release was checked
  });
});
