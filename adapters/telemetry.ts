// OpenTelemetry bootstrap: call first in a service's main.ts. Traces export over OTLP only when an
// endpoint is configured; otherwise no exporter is loaded (spans still carry context, so traceparent
// still travels and log lines still name their trace).
//
// The tracer provider, context manager and propagators are registered here, not by @opentelemetry/
// sdk-node's NodeSDK: NodeSDK imports every exporter it could build from the environment (traces, logs
// and metrics, in three protocols each, plus Prometheus and Zipkin) — about 40 MB of resident memory
// per service here (a Node process importing sdk-node: 85 MB; these parts alone: 65 MB), in each of the
// seven services, for exporters none of them uses. The one trace exporter the configured protocol
// names is loaded when an endpoint is set.
//
// The span processor is built here so that the Temporal worker can hand the same one to its
// workflow-span sink (workflow code runs in an isolate and exports its spans through it:
// adapters/temporalTracing.ts).
import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  RandomIdGenerator,
  TracerProvider,
  type IdGenerator,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import {
  detectResources,
  hostDetector,
  osDetector,
  processDetector,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type Resource,
} from '@opentelemetry/resources';

export interface TelemetryHandle {
  shutdown(): Promise<void>;
  /** Where finished spans go (a no-op without an endpoint). */
  spanProcessor: SpanProcessor;
  resource: Resource;
}

export function startTelemetry(
  serviceName: string,
  opts: { otlpEndpoint?: string; spanProcessors?: SpanProcessor[] } = {},
): TelemetryHandle {
  if (opts.otlpEndpoint) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = opts.otlpEndpoint;
  // The resource NodeSDK would detect (OTEL_RESOURCE_ATTRIBUTES, host, OS, process, instance id); the
  // service's name is ours (OTEL_SERVICE_NAME does not rename a service).
  const resource = detectResources({
    detectors: [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, resourceAttributesEnvDetector],
  }).merge(resourceFromAttributes({ 'service.name': serviceName }));
  const spanProcessor = opts.otlpEndpoint
    ? new BatchSpanProcessor({
        exporter: otlpExporter(),
        scheduledDelayMillis: Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 5000) || 5000,
      })
    : new NoopSpanProcessor();
  // Nowhere to send spans: don't record them (per-record consumer spans would cost the projector
  // throughput), but still create ids, so traceparent travels and log lines carry trace ids.
  const exporting = Boolean(opts.otlpEndpoint) || (opts.spanProcessors?.length ?? 0) > 0;
  const provider = new TracerProvider({
    resource,
    idGenerator: new DigitRunFreeIds(),
    spanProcessors: [spanProcessor, ...(opts.spanProcessors ?? [])],
    ...(!exporting && { sampler: new AlwaysOffSampler() }),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown();
      contextManager.disable();
    },
    spanProcessor,
    resource,
  };
}

/** The OTLP trace exporter for the configured protocol (the standard variables; default http/protobuf),
 *  loaded only when it is used (a gRPC exporter alone brings @grpc/grpc-js). */
function otlpExporter(): SpanExporter {
  const protocol = (
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).trim();
  const pkg =
    protocol === 'http/json'
      ? '@opentelemetry/exporter-trace-otlp-http'
      : protocol === 'grpc'
        ? '@opentelemetry/exporter-trace-otlp-grpc'
        : '@opentelemetry/exporter-trace-otlp-proto';
  const { OTLPTraceExporter } = load(pkg) as { OTLPTraceExporter: new () => SpanExporter };
  return new OTLPTraceExporter();
}
const load = createRequire(import.meta.url);

/** Trace and span ids go into every log line and ledger record header. A random hex id contains a run of
 *  ten digits surprisingly often (~1 in 5 trace ids) — which looks like an NHS number to a leak scanner
 *  (test/privacy/scan.ts, or a hospital's DLP). Such ids are simply drawn again. */
export class DigitRunFreeIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return drawWithoutDigitRun(() => this.random.generateTraceId());
  }
  generateSpanId(): string {
    return drawWithoutDigitRun(() => this.random.generateSpanId());
  }
}

const DIGIT_RUN = /[0-9]{10}/;
function drawWithoutDigitRun(draw: () => string): string {
  for (;;) {
    const id = draw();
    if (!DIGIT_RUN.test(id)) return id;
  }
}
