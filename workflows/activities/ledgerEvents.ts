// Building the system events the workflows write. `occurredAt` comes from the workflow (deterministic:
// the scheduled time or the workflow clock) and is the CloudEvents `time`; `recordedtime` is set here;
// appendOnce's idempotency ignores it, so a retried activity finds the first write and adds nothing.
import type { DataOf, EventOf, EventType, LedgerEvent } from '../../contracts/consent/events.js';
import { CURRENT_VERSION, dataSchemaId } from '../../contracts/consent/events.js';
import { appendOnce, type LedgerAppender } from '../../ledger/appendOnce.js';

export const WORKFLOW_SOURCE = 'sys:workflows';

export function systemEvent<T extends EventType>(
  type: T,
  id: string,
  subject: string,
  data: DataOf<T>,
  now: Date,
): EventOf<T> {
  return {
    specversion: '1.0',
    id,
    source: WORKFLOW_SOURCE,
    type,
    subject,
    time: data.occurredAt,
    recordedtime: now.toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataSchemaId(type),
    dataversion: CURRENT_VERSION[type],
    data,
  } as unknown as EventOf<T>;
}

/** Append once; returns whether this call wrote it (false: an earlier attempt already had). */
export async function appendSystemEvent(ledger: LedgerAppender, event: LedgerEvent): Promise<boolean> {
  const [appended] = await appendOnce(ledger, [event]);
  return !appended!.replayed;
}
