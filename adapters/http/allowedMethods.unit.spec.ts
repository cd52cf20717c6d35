// 404 vs 405 on an in-process express app (no servers): the OpenAPI document says what is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from 'express';
import { createApp, listen, type RunningServer } from './app.js';
import { createLogger } from '../logger.js';
import { syntheticNhsNumbers } from '../../test/harness/nhsNumbers.js';

const [nhs] = syntheticNhsNumbers(1) as [string];

const openapi = () => ({ paths: { '/v1/things/{id}': { get: {}, put: {} }, '/v1/things': { post: {} } } });

describe('unsupported methods', () => {
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    const routes = Router();
    routes.get('/v1/things/:id', (_req, res) => {
      res.json({ ok: true });
    });
    routes.put('/v1/things/:id', (_req, res) => {
      res.status(204).end();
    });
    routes.post('/v1/things', (_req, res) => {
      res.status(201).end();
    });
    const app = createApp({
      log: createLogger('allowed-methods-test', 'silent'),
      readiness: {},
      routers: [routes],
      openapi,
    });
    server = await listen(app, 0);
    const addr = server.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a documented path asked with another method: 405, Allow lists what is served, problem JSON', async () => {
    const res = await fetch(`${base}/v1/things/${nhs}`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT, HEAD');
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ status: 405, type: 'urn:consent-ledger:problem:method-not-allowed' });
    expect(body).not.toContain(nhs); // the path is never echoed
    expect((await fetch(`${base}/v1/things`, { method: 'GET' })).status).toBe(405);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('served methods still work; unknown paths are 404 without echoing the path', async () => {
    expect((await fetch(`${base}/v1/things/abc`)).status).toBe(200);
    expect((await fetch(`${base}/v1/things`, { method: 'POST' })).status).toBe(201);
    const res = await fetch(`${base}/v1/nothing/${nhs}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(nhs);
  });
});
