// A CLIENT span around an outgoing HTTP call, whose context travels in the request's `traceparent`
// header: the receiver can continue the trace. Named by what is called (`POST webhook`), never by
// the URL (a data user's URL is theirs; the span only says which kind of call it was).
import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';

const tracer = trace.getTracer('consent-ledger/http-client');

export async function tracedRequest(
  method: string,
  target: string,
  headers: Record<string, string>,
  call: (headers: Record<string, string>) => Promise<Response>,
): Promise<Response> {
  const span = tracer.startSpan(`${method} ${target}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method },
  });
  const withTrace = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), withTrace);
  try {
    const res = await call(withTrace);
    span.setAttribute('http.response.status_code', res.status);
    if (res.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    return res;
  } catch (err) {
    // The error's name only (refused, timeout): its message could quote the URL.
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
    throw err;
  } finally {
    span.end();
  }
}
