// The hospital recorder's retry rules against a local HTTP server scripted per request: what is
// retried (503 with or without Retry-After, a connection cut before any answer), what is not (409,
// 422), that every attempt sends the very same event, and that a replayed receipt is success.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hospital, RecordingRefused, RecordingUnconfirmed, retryAfterMs, type HospitalOptions } from './hospital.js';
import type { IncomingEvent } from './apis.js';

type Step = (res: ServerResponse) => void;
const receipt = {
  eventId: 'rxh-1',
  subject: 'sub_x',
  ledger: { topic: 't', partition: 0, offset: '7' },
  recordedAt: 'now',
  hash: 'h',
};
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (res) => {
    res.writeHead(status, {
      'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
const cut: Step = (res) => res.socket?.destroy();
const problem = (status: number, title: string) => ({ type: 'about:blank', title, status });

let script: Step[] = [];
const seen: { path: string; body: string; authorization: string | undefined }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({
      path: req.url ?? '',
      body: Buffer.concat(chunks).toString(),
      authorization: req.headers.authorization,
    });
    (script.shift() ?? json(500, problem(500, 'script ran out')))(res);
  });
});
let options: HospitalOptions;
const waits: number[] = [];

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  options = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: 'cl.k.s',
    retry: { attempts: 4, firstDelayMs: 100, maxDelayMs: 5000 },
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen.length = 0;
  waits.length = 0;
});

const event = {
  specversion: '1.0',
  id: 'rxh-1',
  source: 'org:rxh',
  type: 'consent.withdrawn',
  dataversion: 2,
  subject: 'sub_x',
  data: {
    occurredAt: '2026-11-20T10:00:00Z',
    scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
    expressedBy: { role: 'person' },
  },
} as unknown as IncomingEvent;

describe('hospital(…).record', () => {
  it('503 with Retry-After, then a cut connection, then 202: recorded, the same event sent each time', async () => {
    script = [json(503, problem(503, 'ledger unavailable'), { 'retry-after': '2' }), cut, json(202, receipt)];
    const r = await hospital(options).record(event);
    expect(r).toEqual({ receipt, replayed: false, attempts: 3 });
    expect(seen.map((s) => s.path)).toEqual(['/v1/events', '/v1/events', '/v1/events']);
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify(event)]));
    expect(seen.every((s) => s.authorization === 'Bearer cl.k.s')).toBe(true);
    expect(waits[0]).toBe(2000); // Retry-After honoured
    expect(waits[1]).toBeLessThanOrEqual(200); // then our own back-off (jittered, doubled once)
  });

  it('a replayed receipt (an earlier attempt landed) is success, marked replayed', async () => {
    script = [cut, json(202, receipt, { 'idempotent-replayed': 'true' })];
    expect(await hospital(options).record(event)).toEqual({ receipt, replayed: true, attempts: 2 });
  });

  it('409 and 422 are refused at once, with the problem; nothing is retried', async () => {
    for (const status of [409, 422]) {
      script = [json(status, problem(status, `no ${status}`))];
      seen.length = 0;
      const e = await hospital(options)
        .record(event)
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RecordingRefused);
      expect(e).toMatchObject({ status, problem: { title: `no ${status}` } });
      expect(seen).toHaveLength(1);
    }
  });

  it('gives up after the attempts allowed with RecordingUnconfirmed; a Retry-After is capped at maxDelayMs', async () => {
    script = [json(503, problem(503, 'down'), { 'retry-after': '3600' }), cut, cut, cut, json(202, receipt)];
    const e = await hospital(options)
      .record(event)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RecordingUnconfirmed);
    expect(e).toMatchObject({ attempts: 4 });
    expect(seen).toHaveLength(4);
    expect(waits[0]).toBe(5000);
  });

  it('recordBatch posts {events} to /v1/events:batch with the same rules', async () => {
    const batch = { receipts: [receipt], replayed: 1 };
    script = [json(503, problem(503, 'down')), json(202, batch)];
    expect(await hospital(options).recordBatch([event])).toEqual({ receipt: batch, replayed: false, attempts: 2 });
    expect(seen.map((s) => [s.path, s.body])).toEqual([
      ['/v1/events:batch', JSON.stringify({ events: [event] })],
      ['/v1/events:batch', JSON.stringify({ events: [event] })],
    ]);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates; nothing else', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
