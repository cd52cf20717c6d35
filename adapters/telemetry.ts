// OpenTelemetry bootstrap: call first in a service's main.ts. Traces export over OTLP only when an
// endpoint is configured; otherwise the SDK runs without an exporter (spans still carry context, so
// traceparent still travels and log lines still name their trace).
//
// The span processor is built here rather than by the SDK from the environment so that the Temporal
// worker can hand the same one to its workflow-span sink (workflow code runs in an isolate and exports
// its spans through it: adapters/temporalTracing.ts).
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  RandomIdGenerator,
  type IdGenerator,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';

export interface TelemetryHandle {
  shutdown(): Promise<void>;
  /** Where finished spans go (a no-op without an endpoint). */
  spanProcessor: SpanProcessor;
  resource: Resource;
}

export function startTelemetry(
  serviceName: string,
  opts: { otlpEndpoint?: string; spanProcessors?: NodeSDKConfiguration['spanProcessors'] } = {},
): TelemetryHandle {
  process.env.OTEL_METRICS_EXPORTER ??= 'none'; // metrics are Prometheus (/metrics), not OTLP
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  if (opts.otlpEndpoint) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = opts.otlpEndpoint;
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const spanProcessor = opts.otlpEndpoint
    ? new BatchSpanProcessor({
        exporter: otlpExporter(),
        scheduledDelayMillis: Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 5000) || 5000,
      })
    : new NoopSpanProcessor();
  // Nowhere to send spans: don't record them (per-record consumer spans would cost the projector
  // throughput), but still create ids, so traceparent travels and log lines carry trace ids.
  const exporting = Boolean(opts.otlpEndpoint) || (opts.spanProcessors?.length ?? 0) > 0;
  const sdk = new NodeSDK({
    serviceName,
    resource,
    idGenerator: new DigitRunFreeIds(),
    spanProcessors: [spanProcessor, ...(opts.spanProcessors ?? [])],
    ...(!exporting && { sampler: new AlwaysOffSampler() }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown(), spanProcessor, resource };
}

/** The OTLP trace exporter for the configured protocol (the standard variables; default http/protobuf). */
function otlpExporter() {
  const protocol = (
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).trim();
  if (protocol === 'http/json') return new JsonExporter();
  if (protocol === 'grpc') return new GrpcExporter();
  return new ProtoExporter();
}

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
