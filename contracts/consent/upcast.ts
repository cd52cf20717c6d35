// The one place where payloads written under an older `dataversion` are brought to the current
// shape. The ledger is kept forever, so every reader must accept every version ever written; they
// all go through validate.ts → here, so no reader carries version logic of its own.
//
// How to introduce version N+1 of a type T (never edit a version that is on the ledger):
//   1. copy T's current data schema from data.ts into this file (e.g. `ConsentGivenDataV1`) —
//      it is now frozen;
//   2. change data.ts to the new shape and bump CURRENT_VERSION[T] to N+1 in events.ts;
//   3. add `UPCASTERS[T][N] = { data: <frozen vN schema>, up: (vN) => <vN+1 payload> }`.
// Steps chain, so a v1 event becomes v3 through the v1 and v2 steps. `up` must be pure and total
// over valid vN payloads (there is no one to ask when replaying a ten-year-old event).
//
// Upcasting is a read-time view: the ledger keeps the bytes as written, and hashes / signatures
// (canonical.ts) are always computed over the event as written, never over its upcast form.
import * as z from 'zod';
import { CURRENT_VERSION, dataSchemaId, type EventType } from './events.js';
import { BY_THE_PERSON } from './expressedBy.js';
import {
  DataUserIdSchema,
  EventIdSchema,
  PolicyVersionSchema,
  UtcTimestampSchema,
  compareUtc,
  isUtcTimestamp,
} from './primitives.js';
import { issuesToProblems, type Problem } from './problems.js';
import { CaptureChannelSchema, CaptureSchema, SCOPE_DIMENSIONS, ScopeSchema, isFullScope } from './vocabulary.js';

export interface UpcastStep {
  /** The frozen schema of the `data` payload at the step's `from` version. */
  readonly data: z.ZodType;
  /** A valid payload of version `from` → a payload of version `from + 1`. */
  readonly up: (data: never) => unknown;
}

/** type → from-version → step. */
export type UpcastTable<T extends string = EventType> = Readonly<
  Partial<Record<T, Readonly<Record<number, UpcastStep>>>>
>;

// --- frozen version-1 payloads (as written before dataversion 2; never edit) --------------------

const occurredAt = UtcTimestampSchema;
const channel = CaptureChannelSchema.optional();

const ConsentGivenDataV1 = z
  .strictObject({
    occurredAt,
    scope: ScopeSchema,
    capture: CaptureSchema,
    policyVersion: PolicyVersionSchema,
    validUntil: UtcTimestampSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (isUtcTimestamp(d.validUntil) && isUtcTimestamp(d.occurredAt) && compareUtc(d.validUntil, d.occurredAt) <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be later than occurredAt', path: ['validUntil'] });
    }
  });
const ConsentReconfirmedDataV1 = z.strictObject({ occurredAt, consentId: EventIdSchema, capture: CaptureSchema });
const ConsentCancelledDataV1 = z.strictObject({ occurredAt, consentId: EventIdSchema, channel });
const ConsentWithdrawnDataV1 = z.strictObject({
  occurredAt,
  scope: ScopeSchema,
  consentId: EventIdSchema.optional(),
  channel,
});
const OptOutRegisteredDataV1 = z
  .strictObject({ occurredAt, scope: ScopeSchema, national: z.boolean(), channel })
  .superRefine((d, ctx) => {
    if (!d.national || isFullScope(d.scope)) return;
    for (const dim of SCOPE_DIMENSIONS) {
      if (d.scope[dim] !== '*') {
        ctx.addIssue({ code: 'custom', message: 'a national opt-out must be "*"', path: ['scope', dim] });
      }
    }
  });
const OptOutRevokedDataV1 = z.strictObject({ occurredAt, optOutId: EventIdSchema, channel });
const RevocationAcknowledgedDataV1 = z.strictObject({
  occurredAt,
  withdrawalId: EventIdSchema,
  dataUserId: DataUserIdSchema,
  noticeId: EventIdSchema,
});

/** v1 → v2 of a hospital's choice: before v2 only the person's own choices were recorded. */
const byThePerson = <D extends object>(d: D) => ({ ...d, expressedBy: BY_THE_PERSON });

/**
 * The production table.
 * - v1 → v2 of the six choices a hospital records: `expressedBy` added; a v1 event is the person's own.
 * - v1 → v2 of revocation.acknowledged: `attestation` added; a v1 acknowledgement confirmed receipt
 *   only, so it is "acknowledged, not attested" (null).
 */
export const UPCASTERS: UpcastTable = {
  'consent.given': { 1: { data: ConsentGivenDataV1, up: byThePerson } },
  'consent.reconfirmed': { 1: { data: ConsentReconfirmedDataV1, up: byThePerson } },
  'consent.cancelled': { 1: { data: ConsentCancelledDataV1, up: byThePerson } },
  'consent.withdrawn': { 1: { data: ConsentWithdrawnDataV1, up: byThePerson } },
  'optout.registered': { 1: { data: OptOutRegisteredDataV1, up: byThePerson } },
  'optout.revoked': { 1: { data: OptOutRevokedDataV1, up: byThePerson } },
  'revocation.acknowledged': {
    1: {
      data: RevocationAcknowledgedDataV1,
      up: (d: z.infer<typeof RevocationAcknowledgedDataV1>) => ({ ...d, attestation: null }),
    },
  },
};

export type UpcastResult = { ok: true; data: unknown; version: number } | { ok: false; problems: Problem[] };

export type Upcaster<T extends string> = (type: T, version: number, data: unknown) => UpcastResult;

/** Build an upcaster over a table; `version` must already be known to be 1..current. */
export function createUpcaster<T extends string>(
  table: UpcastTable<T>,
  current: Readonly<Record<T, number>>,
): Upcaster<T> {
  return (type, version, data) => {
    let payload = data;
    for (let v = version; v < current[type]; v++) {
      const step = table[type]?.[v];
      if (!step) {
        // A version was bumped without its upcaster: a bug in this file, caught by the unit test
        // that checks the table is complete, reported here rather than thrown so one bad type
        // cannot stop a replay.
        return { ok: false, problems: [{ field: '/dataversion', message: `no upcaster from version ${v}` }] };
      }
      const parsed = step.data.safeParse(payload);
      if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, ['data']) };
      payload = step.up(parsed.data as never);
    }
    return { ok: true, data: payload, version: current[type] };
  };
}

/** Upcast a stored payload of `type` at `version` to CURRENT_VERSION[type]. */
export const upcastData: Upcaster<EventType> = createUpcaster(UPCASTERS, CURRENT_VERSION);

/** Every (type, version) below current has a step — the invariant the test suite asserts. */
export function missingUpcasters<T extends string>(
  table: UpcastTable<T>,
  current: Readonly<Record<T, number>>,
): string[] {
  const missing: string[] = [];
  for (const type of Object.keys(current) as T[]) {
    for (let v = 1; v < current[type]; v++) if (!table[type]?.[v]) missing.push(`${type}@${v}`);
  }
  return missing;
}

/**
 * The envelope as it is read today, from a ledger record of any age (after its payload was upcast
 * from `writtenVersion`).
 *
 * Envelope history (never edited, only read forward):
 *   - first records: `time` = when the ledger recorded the event; no `recordedtime`, no `dataschema`.
 *   - since the CloudEvents alignment: `time` = the occurrence (data.occurredAt), `recordedtime` =
 *     the recording time, `dataschema` = the schema id of the payload as written.
 * A record with neither `recordedtime` nor `dataschema` is of the first kind (the strict schema of
 * that time allowed neither, so the test is unambiguous): its `time` moves to `recordedtime`. A
 * payload upcast to a newer version gets that version's `dataschema`; any other value is left for
 * the schema to refuse.
 */
export function upcastEnvelope(
  type: EventType,
  writtenVersion: number,
  raw: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const legacy = raw.recordedtime === undefined && raw.dataschema === undefined;
  if (legacy) {
    const data = raw.data as { occurredAt?: unknown } | undefined;
    return { ...raw, recordedtime: raw.time, time: data?.occurredAt, dataschema: dataSchemaId(type) };
  }
  if (raw.dataschema === dataSchemaId(type, writtenVersion)) return { ...raw, dataschema: dataSchemaId(type) };
  return { ...raw };
}
