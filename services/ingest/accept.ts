// What ingest does with submitted events: validate every item (all-or-nothing), check the caller may
// write for each `source`, pseudonymise, claim each event id, write the new ones to the ledger in one
// send, and answer with a receipt per event. A retry of an event already written gets the stored receipt.
import { parseIncomingEvent, recordIncoming, type Problem } from '../../contracts/consent/validate.js';
import type { IncomingEvent, LedgerEvent } from '../../contracts/consent/events.js';
import { DomainError } from '../../contracts/domainError.js';
import type { LedgerPosition, LedgerWriter } from '../../ledger/writer.js';
import { appendOnce } from '../../ledger/appendOnce.js';
import type { ReceiptStore } from '../../ledger/receipts.js';
import type { Caller } from '../../access/credentials.js';
import type { Pseudonymise } from '../../contracts/consent/pseudonym.js';
import type { PolicySet } from '../../contracts/consent/policy.js';
import { ingestMetrics } from './metrics.js';

export interface IngestDeps {
  writer: LedgerWriter;
  receipts: ReceiptStore;
  pseudonymise: Pseudonymise;
  now: () => Date;
  /** Every policy version the deployment applies: a consent naming another is refused (its rules are unknown). */
  policies: PolicySet;
  /** Earliest plausible occurredAt for a submission; older is a typo, not a consent (default 2000-01-01). */
  occurredAtFloor?: string;
}

const DEFAULT_OCCURRED_AT_FLOOR = '2000-01-01T00:00:00Z';

export interface Receipt {
  eventId: string;
  subject: string;
  ledger: { topic: string; partition: number; offset: string };
  recordedAt: string;
  hash: string;
}

/** Receipts in request order; `replayed[i]` is true when event i had already been recorded (nothing new written). */
export interface Accepted {
  receipts: Receipt[];
  replayed: boolean[];
}

export const toReceipt = (p: LedgerPosition, event: LedgerEvent): Receipt => ({
  eventId: p.eventId,
  subject: event.subject,
  ledger: { topic: p.topic, partition: p.partition, offset: p.offset },
  recordedAt: p.recordedAt,
  hash: `sha256:${p.hash}`,
});

/** Validate and pseudonymise; problems carry the item index prefix for batches. */
function prepare(
  body: unknown,
  index: number | undefined,
  caller: Caller,
  deps: IngestDeps,
  time: string,
): { ok: true; event: LedgerEvent } | { ok: false; problems: Problem[]; forbidden?: boolean } {
  const at = (f: string) => (index === undefined ? f : `/${index}${f}`);
  const parsed = parseIncomingEvent(body);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map((p) => ({ ...p, field: at(p.field) })) };
  const incoming: IncomingEvent = parsed.event;
  const floor = deps.occurredAtFloor ?? DEFAULT_OCCURRED_AT_FLOOR;
  if (Date.parse(incoming.data.occurredAt) < Date.parse(floor)) {
    return { ok: false, problems: [{ field: at('/data/occurredAt'), message: `must not be before ${floor}` }] };
  }
  const unknownPolicy = unknownPolicyVersion(incoming, deps.policies);
  if (unknownPolicy) return { ok: false, problems: [{ ...unknownPolicy, field: at(unknownPolicy.field) }] };
  if (incoming.source !== caller.principal) {
    return {
      ok: false,
      forbidden: true,
      problems: [{ field: at('/source'), message: 'must be your own organisation' }],
    };
  }
  const subject = incoming.nhsNumber !== undefined ? deps.pseudonymise(incoming.nhsNumber) : incoming.subject;
  const recorded = recordIncoming(incoming, { subject, recordedtime: time });
  if (!recorded.ok) return { ok: false, problems: recorded.problems.map((p) => ({ ...p, field: at(p.field) })) };
  return { ok: true, event: recorded.event };
}

/** A consent's lifecycle runs on the version recorded on it, so the deployment must hold that version. */
function unknownPolicyVersion(incoming: IncomingEvent, policies: PolicySet): Problem | undefined {
  const version = 'policyVersion' in incoming.data ? incoming.data.policyVersion : undefined;
  if (version === undefined || policies.versions.has(version)) return undefined;
  const held = [...policies.versions.keys()].join(', ');
  return { field: '/data/policyVersion', message: `unknown policy version; this deployment holds ${held}` };
}

export async function acceptEvents(
  bodies: readonly unknown[],
  batch: boolean,
  caller: Caller,
  deps: IngestDeps,
): Promise<Accepted> {
  if (caller.role !== 'hospital')
    throw new DomainError('forbidden', 'only hospital / GP system credentials may write events');
  const time = deps.now().toISOString();
  const prepared = bodies.map((b, i) => prepare(b, batch ? i : undefined, caller, deps, time));
  const bad = prepared.flatMap((p) => (p.ok ? [] : p.problems));
  if (prepared.some((p) => !p.ok && p.forbidden)) {
    throw new DomainError(
      'forbidden',
      'events may only be written for your own organisation; nothing was written',
      bad,
    );
  }
  if (bad.length > 0) throw new DomainError('unprocessable', `${bad.length} problem(s); nothing was written`, bad);
  const items = prepared as Extract<(typeof prepared)[number], { ok: true }>[];
  const dupIds = duplicateIds(items.map((i) => i.event.id));
  if (dupIds.length > 0) {
    throw new DomainError(
      'invalid-request',
      'an event id appears more than once in the batch; nothing was written',
      dupIds.map((i) => ({ field: `/${i}/id`, message: 'repeats an earlier event id in this batch' })),
    );
  }
  return writeClaimed(items, deps);
}

function duplicateIds(ids: string[]): number[] {
  const seen = new Set<string>();
  return ids.flatMap((id, i) => (seen.has(id) ? [i] : (seen.add(id), [])));
}

async function writeClaimed(items: { event: LedgerEvent }[], deps: IngestDeps): Promise<Accepted> {
  const appended = await appendOnce(
    deps,
    items.map((i) => i.event),
  );
  for (const a of appended) (a.replayed ? ingestMetrics.replays : ingestMetrics.accepted).inc({ type: a.event.type });
  return { receipts: appended.map((a) => toReceipt(a.position, a.event)), replayed: appended.map((a) => a.replayed) };
}
