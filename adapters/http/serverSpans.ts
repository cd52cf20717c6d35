// A SERVER span per HTTP request, continuing the caller's W3C trace context (traceparent header).
// The span is named `METHOD <route template>` and carries only the template: a raw URL could hold an
// NHS number typed by mistake, and must never reach a trace.
import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { routeOf } from '../metrics.js';

const tracer = trace.getTracer('consent-ledger/http');

// Probes and scrapes would bury the traces that matter.
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

export const serverSpanMiddleware: RequestHandler = (req, res, next) => {
  if (UNTRACED.has(req.path)) {
    next();
    return;
  }
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan(
    req.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
    parent,
  );
  res.once('finish', () => {
    const route = routeOf(req);
    span.updateName(`${req.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
};
