// The one module that opens connections to Temporal: a client for starting/signalling workflows and a
// native connection for workers.
import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalSettings { address: string; namespace: string }

export async function connectTemporalClient(s: TemporalSettings): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: s.address, connectTimeout: '5s' });
  return { client: new Client({ connection, namespace: s.namespace }), close: () => connection.close() };
}

export function connectTemporalWorker(s: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: s.address });
}
