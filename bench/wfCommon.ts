// What the workflow bench's phases share: ledger envelopes, percentiles, the worker's memory, and an
// append that outlasts a stall of the shared machine's FerretDB.
import { readFileSync } from 'node:fs';
import type { LedgerEvent } from '../contracts/consent/events.js';

export const ALL = { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' };
export const HOLDERS = 10;

export const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const iso = (ms = Date.now()) => new Date(ms).toISOString();

/** A /proc/<pid>/status figure in MB: VmHWM (peak resident) or VmRSS (resident now). */
export function procMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
}

export function envelope(type: string, id: string, subject: string, data: object, occurredAt = iso()): LedgerEvent {
  return {
    specversion: '1.0',
    id,
    source: 'org:bench',
    type,
    subject,
    time: iso(),
    datacontenttype: 'application/json',
    dataversion: 1,
    data: { occurredAt, ...data },
  } as unknown as LedgerEvent;
}

export const consentGiven = (id: string, subject: string, occurredAt: string) =>
  envelope(
    'consent.given',
    id,
    subject,
    { scope: ALL, capture: { channel: 'in-person', setting: 'routine' }, policyVersion: 'test-01' },
    occurredAt,
  );

/** The shared machine's FerretDB can stall under load: retry a chunk (appendOnce makes the retry exact). */
export async function appendRetrying(
  append: (e: LedgerEvent[]) => Promise<void>,
  events: LedgerEvent[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await append(events);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(1000 * attempt);
    }
  }
}

/** Polls until `done()` or the deadline; true when done. */
export async function waitFor(done: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(everyMs);
  return done();
}
