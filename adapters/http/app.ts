// An express application with what every service shares: JSON only, health and readiness,
// problem details, and a graceful stop that lets in-flight requests finish.
import express, { type Express, type Request, type RequestHandler, type Router } from 'express';
import type { Server } from 'node:http';
import { notFoundHandler, problemHandler, sendProblem } from './problems.js';
import type { Logger } from '../logger.js';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import { httpMetricsMiddleware, metricsHandler, routeOf } from '../metrics.js';
import { serverSpanMiddleware } from './serverSpans.js';
import { methodNotAllowed } from './allowedMethods.js';

export interface AppOptions {
  log: Logger;
  /** Each named check must resolve true for /readyz to answer 200. */
  readiness: Record<string, () => Promise<boolean>>;
  routers: (Router | RequestHandler)[];
  /** Served at /openapi.json. */
  openapi?: () => object;
  /** Registries merged into /metrics besides the shared one (adapters/metrics.ts). */
  metrics?: Registry[];
}

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(serverSpanMiddleware);
  app.use(httpMetricsMiddleware);
  app.use(
    pinoHttp({
      logger: opts.log,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      serializers: {
        // The route template, never the URL: a path holds pseudonyms, and a pseudonym is still personal data.
        req: (req: { method: string; raw: Request }) => ({ method: req.method, route: routeOf(req.raw) }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customSuccessMessage: (req, res) => `${req.method} ${res.statusCode}`,
    }),
  );
  // Before every route, the operational ones too: one rule for the whole interface (documented as 415).
  app.use(jsonBodiesOnly);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readinessHandler(opts.readiness));
  if (opts.openapi) {
    const doc = opts.openapi;
    app.get('/openapi.json', (_req, res) => {
      res.json(doc());
    });
  }
  for (const r of opts.routers) app.use(r);
  // After the service's routers: a service that still serves its own /metrics keeps it.
  app.get('/metrics', metricsHandler(opts.metrics));
  app.use(
    methodNotAllowed(opts.openapi, {
      '/healthz': ['GET'],
      '/readyz': ['GET'],
      '/metrics': ['GET'],
      ...(opts.openapi ? { '/openapi.json': ['GET'] } : {}),
    }),
  );
  app.use(notFoundHandler);
  app.use(problemHandler(opts.log));
  return app;
}

function readinessHandler(checks: AppOptions['readiness']): RequestHandler {
  return async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const),
    );
    if (results.every(([, r]) => r)) {
      res.json({ status: 'ready', checks: Object.fromEntries(results) });
      return;
    }
    sendProblem(res, 'unavailable', 'not ready', [], { checks: Object.fromEntries(results) });
  };
}

/** Any body that is not JSON is refused before a route sees it. */
const jsonBodiesOnly: RequestHandler = (req, res, next) => {
  const hasBody =
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
    req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    sendProblem(res, 'unsupported-media-type', 'send the body as application/json', [
      { field: '', message: 'content-type must be application/json' },
    ]);
    return;
  }
  next();
};

export interface RunningServer {
  server: Server;
  close(): Promise<void>;
}

export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      server.keepAliveTimeout = 65_000;
      resolve({
        server,
        // Stop accepting, let in-flight requests finish, then drop idle keep-alive sockets.
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
    server.on('error', reject);
  });
}
