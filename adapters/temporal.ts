// The one module that opens connections to Temporal: a client for starting/signalling workflows and a
// native connection for workers.
import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { tracingClientInterceptors } from './temporalTracing.js';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function connectTemporalClient(
  s: TemporalSettings,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: s.address, connectTimeout: '5s' });
  // Starts and signals carry the caller's trace context into the workflow (no-op without telemetry).
  const client = new Client({ connection, namespace: s.namespace, interceptors: tracingClientInterceptors() });
  return { client, close: () => connection.close() };
}

export function connectTemporalWorker(s: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: s.address });
}
