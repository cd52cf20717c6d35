// The one mapping from errors to RFC 9457 problems, on an in-process express app (no servers): a route
// throws a DomainError (which knows no status) and the last middleware answers with the code's problem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express, { Router } from 'express';
import { createApp, listen, type RunningServer } from './app.js';
import { problemOf } from './problems.js';
import { createLogger } from '../logger.js';
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from '../../contracts/domainError.js';
import { syntheticNhsNumbers } from '../../test/harness/nhsNumbers.js';

const [nhs] = syntheticNhsNumbers(1) as [string];

const STATUS: Record<DomainErrorCode, number> = {
  'invalid-request': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'payload-too-large': 413,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};

describe('problem middleware', () => {
  let server: RunningServer;
  let base: string;
  const logged: object[] = [];
  beforeAll(async () => {
    const routes = Router();
    routes.get('/throw/:code', (req) => {
      throw new DomainError(req.params.code as DomainErrorCode, `raised ${req.params.code}`, [
        { field: '/purpose', message: 'invalid option' },
      ]);
    });
    routes.get('/async', async () => {
      await Promise.resolve();
      throw new DomainError('not-found', 'no such subject', [], { subject: 'sub_x' });
    });
    routes.get('/mongo-down', () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' });
    });
    routes.get('/bug', () => {
      throw new Error(`something broke for ${nhs}`);
    });
    routes.post('/echo', express.json(), (req, res) => {
      res.json(req.body);
    });
    const log = createLogger('problems-test', 'silent');
    const app = createApp({
      log: Object.assign(Object.create(log) as typeof log, {
        error: (obj: object) => {
          logged.push(obj);
        },
      }),
      readiness: {},
      routers: [routes],
    });
    server = await listen(app, 0);
    const addr = server.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(DOMAIN_ERROR_CODES.map((c) => [c, STATUS[c]] as const))(
    'DomainError %s → %i problem+json with its type URI, title and the fields at fault',
    async (code, status) => {
      const res = await fetch(`${base}/throw/${code}`);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: `urn:consent-ledger:problem:${code}`,
        status,
        detail: `raised ${code}`,
        errors: [{ pointer: '#/purpose', detail: 'invalid option' }],
      });
      expect(typeof body.title).toBe('string');
      expect(res.headers.get('retry-after')).toBe(status === 503 ? '5' : null);
      expect(res.headers.get('www-authenticate')).toBe(status === 401 ? 'Bearer realm="consent-ledger"' : null);
    },
  );

  it('an async route rejecting with a DomainError is mapped too, with its extension members', async () => {
    const res = await fetch(`${base}/async`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'urn:consent-ledger:problem:not-found', subject: 'sub_x' });
    expect(body).not.toHaveProperty('errors');
  });

  it('the database being unreachable → 503 with Retry-After', async () => {
    const res = await fetch(`${base}/mongo-down`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('an unexpected error → 500 without its message (which could carry an identifier); logged', async () => {
    const before = logged.length;
    const res = await fetch(`${base}/bug`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ type: 'urn:consent-ledger:problem:internal' });
    expect(text).not.toContain(nhs);
    expect(logged.length).toBe(before + 1);
  });

  it('body-parser failures: bad JSON → 400, naming the whole document', async () => {
    const res = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"nhsNumber": ${nhs}`,
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ errors: [{ pointer: '#', detail: 'not valid JSON' }] });
    expect(text).not.toContain(nhs);
  });

  it('problemOf leaves an error nobody expected to the caller (undefined), so it is never answered from its message', () => {
    expect(problemOf(new Error('x'))).toBeUndefined();
    expect(problemOf(null)).toBeUndefined();
    expect(problemOf(new DomainError('conflict', 'used'))?.status).toBe(409);
  });
});
