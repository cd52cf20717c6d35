// Waiting on workflow time (deterministic: Date.now() inside a workflow is the workflow clock).
import { condition } from '@temporalio/workflow';
import { utcMillis } from '../contracts/consent/primitives.js';

/** Waits until `done()` or the instant `until`; true when `done()` became true first. */
export async function waitUntil(until: string, done: () => boolean): Promise<boolean> {
  if (done()) return true;
  const ms = utcMillis(until) - Date.now();
  if (ms <= 0) return false;
  return condition(done, ms);
}

export const nowIso = (): string => new Date(Date.now()).toISOString();
