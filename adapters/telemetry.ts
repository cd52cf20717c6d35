// OpenTelemetry bootstrap: call first in a service's main.ts. Traces export over OTLP only when an
// endpoint is configured; otherwise the SDK runs without an exporter (spans still carry context).
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

export interface TelemetryHandle { shutdown(): Promise<void> }

export function startTelemetry(serviceName: string, opts: { otlpEndpoint?: string; spanProcessors?: NodeSDKConfiguration['spanProcessors'] } = {}): TelemetryHandle {
  // Without an endpoint, say "no exporter" explicitly rather than let the SDK default to localhost:4318.
  if (!opts.otlpEndpoint && !process.env.OTEL_TRACES_EXPORTER) process.env.OTEL_TRACES_EXPORTER = 'none';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  if (opts.otlpEndpoint) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = opts.otlpEndpoint;
  const sdk = new NodeSDK({ serviceName, spanProcessors: opts.spanProcessors });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
