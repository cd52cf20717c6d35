// A hospital's or GP system's way of recording events that survives outages without writing anything
// twice. The event id is the unit of identity on the ledger: the same id again is answered with the
// same receipt (Idempotent-Replayed: true) and writes nothing, so a write whose answer was lost can
// simply be sent again, the same event, unchanged. Retried: 503 (the ledger or the claim store is down;
// Retry-After says when to come back) and failures to get any answer (connection refused or reset,
// timeouts). Never retried: any other answer, which a repeat would not change (400/422 a bad event,
// 401/403 the credential, 409 the id was used for other content).
import {
  ingestClient,
  type ApiOptions,
  type IncomingEvent,
  type Problem,
  type Receipt,
  type ReceiptBatch,
} from './apis.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  attempts: number;
  /** Back-off before the 2nd attempt when no Retry-After is given, doubling after (default 250 ms). */
  firstDelayMs: number;
  /** No single wait is longer, Retry-After included (default 30 s). */
  maxDelayMs: number;
  /** One attempt's time limit (default 10 s): a hung connection counts as no answer. */
  attemptTimeoutMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 8,
  firstDelayMs: 250,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 10_000,
};

export interface HospitalOptions extends ApiOptions {
  retry?: Partial<RetryPolicy>;
  /** How to wait between attempts (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

/** A recorded event: its receipt, and whether the ledger already had it (an earlier attempt landed). */
export interface Recorded<T> {
  receipt: T;
  replayed: boolean;
  attempts: number;
}

/** The service answered and a repeat would get the same answer (the problem says why). */
export class RecordingRefused extends Error {
  override readonly name = 'RecordingRefused';
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(`ingest refused the event: ${status} ${problem?.title ?? ''}`.trim());
  }
}

/** No attempt was confirmed. It may still have landed: sending the same event id later is safe. */
export class RecordingUnconfirmed extends Error {
  override readonly name = 'RecordingUnconfirmed';
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`ingest did not confirm the event after ${attempts} attempts`);
  }
}

/** Seconds (`Retry-After: 2`) or an HTTP date, as milliseconds from now; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type Attempt<T> =
  | { kind: 'recorded'; receipt: T; replayed: boolean }
  | { kind: 'retry'; waitMs: number | undefined; cause: unknown }
  | { kind: 'refused'; status: number; problem: Problem | undefined };

export interface Hospital {
  /** POST /v1/events until it is recorded (202) or refused; retries send the very same event. */
  record(event: IncomingEvent): Promise<Recorded<Receipt>>;
  /** POST /v1/events:batch (all or nothing); items an earlier attempt recorded are not written again. */
  recordBatch(events: IncomingEvent[]): Promise<Recorded<ReceiptBatch>>;
}

export function hospital(options: HospitalOptions): Hospital {
  const api = ingestClient(options);
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function attempt<T>(send: (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>) {
    let answer: { data?: T; error?: unknown; response: Response };
    try {
      answer = await send(AbortSignal.timeout(policy.attemptTimeoutMs));
    } catch (cause) {
      return { kind: 'retry', waitMs: undefined, cause } satisfies Attempt<T>;
    }
    const { data, error, response } = answer;
    if (response.status === 202 && data !== undefined)
      return {
        kind: 'recorded',
        receipt: data,
        replayed: response.headers.get('idempotent-replayed') === 'true',
      } satisfies Attempt<T>;
    if (response.status === 503)
      return {
        kind: 'retry',
        waitMs: retryAfterMs(response.headers.get('retry-after')),
        cause: new RecordingRefused(503, error as Problem | undefined),
      } satisfies Attempt<T>;
    return { kind: 'refused', status: response.status, problem: error as Problem | undefined } satisfies Attempt<T>;
  }

  async function withRetries<T>(
    send: (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>,
  ) {
    let backoff = policy.firstDelayMs;
    for (let n = 1; ; n++) {
      const a: Attempt<T> = await attempt(send);
      if (a.kind === 'recorded') return { receipt: a.receipt, replayed: a.replayed, attempts: n };
      if (a.kind === 'refused') throw new RecordingRefused(a.status, a.problem);
      if (n >= policy.attempts) throw new RecordingUnconfirmed(n, a.cause);
      // Full jitter on our own back-off, so many clients cut off together do not come back together.
      await sleep(Math.min(policy.maxDelayMs, a.waitMs ?? Math.random() * backoff));
      backoff = Math.min(policy.maxDelayMs, backoff * 2);
    }
  }

  return {
    record: (event) => withRetries((signal) => api.POST('/v1/events', { body: event, signal })),
    recordBatch: (events) => withRetries((signal) => api.POST('/v1/events:batch', { body: { events }, signal })),
  };
}
