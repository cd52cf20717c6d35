// Temporal's OpenTelemetry interceptors: the client puts the active trace context into the workflow's
// headers when starting or signalling it; workflow code (in its isolate) makes spans for the run and
// passes the context on to each activity, whose span the activity interceptor opens — so the webhook
// call an activity makes belongs to the trace of the request that wrote the withdrawal.
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryHandle } from './telemetry.js';

export const tracingClientInterceptors = () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] });

/** The worker plugin (interceptors for workflows and activities, and the workflow-span sink). */
export function tracingWorkerPlugin(t: Pick<TelemetryHandle, 'spanProcessor' | 'resource'>): OpenTelemetryPlugin {
  // The plugin is typed against an older SDK generation; the adapter below bridges the span shape.
  return new OpenTelemetryPlugin({
    spanProcessor: workflowSpanBridge(t.spanProcessor),
    resource: t.resource,
  } as unknown as ConstructorParameters<typeof OpenTelemetryPlugin>[0]);
}

// Workflow search attributes and memo would otherwise be copied onto every workflow span.
const DROPPED_ATTRIBUTES = new Set(['searchAttributes', 'typedSearchAttributes', 'memo', 'lastResult', 'lastFailure']);

/** Workflow spans arrive in the older ReadableSpan shape (parentSpanId, instrumentationLibrary); the
 *  exporter reads parentSpanContext and instrumentationScope. */
function workflowSpanBridge(target: SpanProcessor): SpanProcessor {
  return {
    onStart: (span: Span, ctx: Context) => target.onStart(span, ctx),
    onEnd(span: ReadableSpan) {
      const old = span as unknown as Omit<ReadableSpan, 'instrumentationScope'> & {
        instrumentationScope?: ReadableSpan['instrumentationScope'];
        parentSpanId?: string;
        instrumentationLibrary?: ReadableSpan['instrumentationScope'];
      };
      const sc = old.spanContext();
      const attributes = Object.fromEntries(
        Object.entries(old.attributes).filter(
          ([k, v]) =>
            !DROPPED_ATTRIBUTES.has(k) &&
            (v === null || ['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v)),
        ),
      );
      target.onEnd({
        ...old,
        spanContext: () => sc,
        attributes,
        parentSpanContext:
          old.parentSpanContext ??
          (old.parentSpanId
            ? { traceId: sc.traceId, spanId: old.parentSpanId, traceFlags: sc.traceFlags, isRemote: false }
            : undefined),
        instrumentationScope: old.instrumentationScope ??
          old.instrumentationLibrary ?? { name: '@temporalio/interceptors-opentelemetry' },
      });
    },
    forceFlush: () => target.forceFlush(),
    shutdown: () => target.shutdown(),
  };
}
