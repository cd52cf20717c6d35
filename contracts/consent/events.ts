// Ledger events: CloudEvents 1.0 envelopes (structured JSON form) around the payloads in data.ts.
// One zod schema per event type is the single source of the TS type (z.infer), the runtime
// validator (validate.ts) and the JSON Schema (jsonSchema.ts).
//
// Envelope attributes:
//   specversion      "1.0"
//   id               event id (EVENT_ID_PATTERN); the unit of identity, readers dedupe by it
//   source           emitting organisation: org:<slug> (hospitals…) or sys:<component> (the ledger)
//   type             one of EVENT_TYPES
//   subject          the pseudonymous subject id (sub_…); for dataUser.* the data user id (du_…)
//   time             when the occurrence happened: equal to data.occurredAt (CloudEvents defines `time`
//                    as the occurrence; README "Time on the ledger")
//   recordedtime     extension attribute: when the ledger recorded the event (UTC, set by the server,
//                    never by a caller). Point-in-time queries ("what was known at T") read this.
//   datacontenttype  "application/json"
//   dataschema       URI of the JSON Schema of `data` at this dataversion (dataSchemaId)
//   dataversion      extension attribute: version of this type's `data` schema (CURRENT_VERSION)
//   data             the payload, always with `occurredAt` (see data.ts for why it lives there)
//
// `dataversion` versions the payload only. Records written before `recordedtime` and `dataschema`
// existed carried the recording time in `time`; upcast.ts#upcastEnvelope reads them into this shape.
import * as z from 'zod';
import {
  ConsentCancelledData,
  ConsentEffectiveData,
  ConsentExpiredData,
  ConsentGivenData,
  ConsentLapsedData,
  ConsentReconfirmedData,
  ConsentWithdrawnData,
  DataUserApprovedData,
  DataUserRegisteredData,
  OptOutRegisteredData,
  OptOutRevokedData,
  ReleaseRecordedData,
  RevocationAcknowledgedData,
  RevocationOverdueData,
  RevocationSentData,
  WithdrawalCompletedData,
} from './data.js';
import {
  DATA_USER_ID_PATTERN,
  DataUserIdSchema,
  EventIdSchema,
  NhsNumberSchema,
  OrgSourceSchema,
  SourceSchema,
  SubjectIdSchema,
  UtcTimestampSchema,
  compareUtc,
  isUtcTimestamp,
  utcMillis,
} from './primitives.js';

/** Current `dataversion` of each event type. Readers accept every version ≤ this (upcast.ts).
 *  2: the choices a hospital records say who expressed them (expressedBy); revocation.acknowledged
 *  carries the data user's attestation. */
export const CURRENT_VERSION = {
  'consent.given': 2,
  'consent.effective': 1,
  'consent.reconfirmed': 2,
  'consent.lapsed': 1,
  'consent.cancelled': 2,
  'consent.withdrawn': 2,
  'consent.expired': 1,
  'optout.registered': 2,
  'optout.revoked': 2,
  'revocation.sent': 1,
  'revocation.acknowledged': 2,
  'revocation.overdue': 1,
  'withdrawal.completed': 1,
  'dataUser.registered': 1,
  'dataUser.approved': 1,
  'release.recorded': 1,
} as const;
export type EventType = keyof typeof CURRENT_VERSION;
export const EVENT_TYPES = Object.keys(CURRENT_VERSION) as EventType[];

/**
 * Types a hospital / GP system may POST. Everything else is written by the ledger's own
 * components (workflows, data-user registry), so a caller cannot forge e.g. consent.effective.
 */
export const INCOMING_EVENT_TYPES = [
  'consent.given',
  'consent.reconfirmed',
  'consent.cancelled',
  'consent.withdrawn',
  'optout.registered',
  'optout.revoked',
] as const satisfies readonly EventType[];
export type IncomingEventType = (typeof INCOMING_EVENT_TYPES)[number];

/** occurredAt may lead the recording time by at most this much (clock skew between systems).
 *  Replays re-validate old events with it, so it may be loosened but never tightened. */
const MAX_OCCURRED_AT_LEAD_MS = 5 * 60 * 1000;
export const DATA_CONTENT_TYPE = 'application/json';

/** The CloudEvents `dataschema` of a type's payload at a version: the `$id` of that JSON Schema
 *  (jsonSchema.ts publishes it in the AsyncAPI document). */
export function dataSchemaId(type: EventType, version: number = CURRENT_VERSION[type]): string {
  return `urn:consent-ledger:data:${type}:v${version}`;
}

function envelope<const T extends EventType, S extends z.ZodString, D extends z.ZodType>(type: T, subject: S, data: D) {
  return z.strictObject({
    specversion: z.literal('1.0'),
    id: EventIdSchema.meta({ description: 'Event id; the unit of identity (readers dedupe by it).' }),
    source: SourceSchema.meta({ description: 'Emitting organisation (org:<slug>) or ledger component (sys:<name>).' }),
    type: z.literal(type),
    subject: subject.meta({
      description: type.startsWith('dataUser.') ? 'The data user id.' : 'Pseudonymous subject id.',
    }),
    time: UtcTimestampSchema.meta({ description: 'When it happened (CloudEvents occurrence time): data.occurredAt.' }),
    recordedtime: UtcTimestampSchema.meta({
      description: 'When the ledger recorded the event (UTC, server-set; CloudEvents extension).',
    }),
    datacontenttype: z.literal(DATA_CONTENT_TYPE),
    dataschema: z.literal(dataSchemaId(type)).meta({ format: 'uri', description: 'The JSON Schema of data.' }),
    dataversion: z
      .literal(CURRENT_VERSION[type])
      .meta({ type: 'integer', description: 'Version of the data schema (CloudEvents extension).' }),
    data,
  });
}

const bases = {
  'consent.given': envelope('consent.given', SubjectIdSchema, ConsentGivenData),
  'consent.effective': envelope('consent.effective', SubjectIdSchema, ConsentEffectiveData),
  'consent.reconfirmed': envelope('consent.reconfirmed', SubjectIdSchema, ConsentReconfirmedData),
  'consent.lapsed': envelope('consent.lapsed', SubjectIdSchema, ConsentLapsedData),
  'consent.cancelled': envelope('consent.cancelled', SubjectIdSchema, ConsentCancelledData),
  'consent.withdrawn': envelope('consent.withdrawn', SubjectIdSchema, ConsentWithdrawnData),
  'consent.expired': envelope('consent.expired', SubjectIdSchema, ConsentExpiredData),
  'optout.registered': envelope('optout.registered', SubjectIdSchema, OptOutRegisteredData),
  'optout.revoked': envelope('optout.revoked', SubjectIdSchema, OptOutRevokedData),
  'revocation.sent': envelope('revocation.sent', SubjectIdSchema, RevocationSentData),
  'revocation.acknowledged': envelope('revocation.acknowledged', SubjectIdSchema, RevocationAcknowledgedData),
  'revocation.overdue': envelope('revocation.overdue', SubjectIdSchema, RevocationOverdueData),
  'withdrawal.completed': envelope('withdrawal.completed', SubjectIdSchema, WithdrawalCompletedData),
  'dataUser.registered': envelope('dataUser.registered', DataUserIdSchema, DataUserRegisteredData),
  'dataUser.approved': envelope('dataUser.approved', DataUserIdSchema, DataUserApprovedData),
  'release.recorded': envelope('release.recorded', SubjectIdSchema, ReleaseRecordedData),
} as const;

/** Cross-field rules of a recorded event (`recordedtime` only exists once recorded). */
function recorded<S extends (typeof bases)[EventType]>(schema: S): S {
  // zod runs these even when a field already failed, so each rule only looks at valid fields.
  return schema.superRefine((e, ctx) => {
    const { occurredAt } = e.data as { occurredAt: unknown };
    if (
      isUtcTimestamp(occurredAt) &&
      isUtcTimestamp(e.recordedtime) &&
      utcMillis(occurredAt) - utcMillis(e.recordedtime) > MAX_OCCURRED_AT_LEAD_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not be later than the recording time (recordedtime)',
        path: ['data', 'occurredAt'],
      });
    }
    if (isUtcTimestamp(occurredAt) && isUtcTimestamp(e.time) && compareUtc(occurredAt, e.time) !== 0) {
      ctx.addIssue({ code: 'custom', message: 'must equal data.occurredAt (the occurrence)', path: ['time'] });
    }
    if (e.type === 'dataUser.registered' || e.type === 'dataUser.approved') {
      const d = e.data as { dataUserId: unknown };
      if (DATA_USER_ID_PATTERN.test(e.subject) && e.subject !== d.dataUserId) {
        ctx.addIssue({ code: 'custom', message: 'must equal data.dataUserId', path: ['subject'] });
      }
    }
  }) as S;
}

/** The ledger schema of each type, current version. */
export const EVENT_SCHEMAS = {
  'consent.given': recorded(bases['consent.given']),
  'consent.effective': recorded(bases['consent.effective']),
  'consent.reconfirmed': recorded(bases['consent.reconfirmed']),
  'consent.lapsed': recorded(bases['consent.lapsed']),
  'consent.cancelled': recorded(bases['consent.cancelled']),
  'consent.withdrawn': recorded(bases['consent.withdrawn']),
  'consent.expired': recorded(bases['consent.expired']),
  'optout.registered': recorded(bases['optout.registered']),
  'optout.revoked': recorded(bases['optout.revoked']),
  'revocation.sent': recorded(bases['revocation.sent']),
  'revocation.acknowledged': recorded(bases['revocation.acknowledged']),
  'revocation.overdue': recorded(bases['revocation.overdue']),
  'withdrawal.completed': recorded(bases['withdrawal.completed']),
  'dataUser.registered': recorded(bases['dataUser.registered']),
  'dataUser.approved': recorded(bases['dataUser.approved']),
  'release.recorded': recorded(bases['release.recorded']),
} as const satisfies Record<EventType, z.ZodType>;

/** The ledger schema of each type a hospital may POST, with `data` taken as given: recordIncoming builds
 *  the ledger event from a submission whose data passed the same data schema a moment before, so only
 *  the envelope and the cross-field rules are left to check (parsing data twice was a tenth of ingest's
 *  CPU in a batch). */
export const RECORDED_ENVELOPE_SCHEMAS = Object.fromEntries(
  INCOMING_EVENT_TYPES.map((t) => [
    t,
    recorded(bases[t].extend({ data: z.any() }) as unknown as (typeof bases)[typeof t]),
  ]),
) as unknown as Record<IncomingEventType, z.ZodType>;

/** Any recorded ledger event (current version), discriminated on `type`. */
export const LedgerEventSchema = z.discriminatedUnion(
  'type',
  Object.values(EVENT_SCHEMAS) as [(typeof EVENT_SCHEMAS)[EventType], ...(typeof EVENT_SCHEMAS)[EventType][]],
);
export type LedgerEvent = { [T in EventType]: z.infer<(typeof EVENT_SCHEMAS)[T]> }[EventType];
export type EventOf<T extends EventType> = Extract<LedgerEvent, { type: T }>;
export type DataOf<T extends EventType> = EventOf<T>['data'];

export type ConsentGiven = EventOf<'consent.given'>;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(CURRENT_VERSION, value);
}
export function isIncomingEventType(value: unknown): value is IncomingEventType {
  return (INCOMING_EVENT_TYPES as readonly unknown[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// What hospitals POST: the same envelope minus what the server sets (`time`, `recordedtime`;
// `datacontenttype` and `dataschema` are optional), `source` must be an organisation, and the subject is identified by exactly one
// of `subject` (pseudonym) or `nhsNumber` (replaced by ingest with the pseudonym at once).
// ---------------------------------------------------------------------------------------------

function incoming(type: IncomingEventType) {
  return bases[type]
    .omit({ time: true, recordedtime: true, subject: true, source: true, datacontenttype: true, dataschema: true })
    .extend({
      source: OrgSourceSchema,
      subject: SubjectIdSchema.optional(),
      nhsNumber: NhsNumberSchema.optional(),
      datacontenttype: z.literal(DATA_CONTENT_TYPE).optional(),
      dataschema: z.literal(dataSchemaId(type)).optional(),
    })
    .superRefine((e, ctx) => {
      const problem = identityProblem(e);
      if (problem) ctx.addIssue({ code: 'custom', ...problem });
    });
}

const IDENTITY_MESSAGES = {
  missing: 'required: send subject (pseudonym) or nhsNumber',
  both: 'send subject or nhsNumber, not both',
} as const;

/** Exactly one of subject / nhsNumber. Also used by validate.ts, which must report it even when
 *  other fields fail (zod skips object refinements then). */
export function identityProblem(e: {
  subject?: unknown;
  nhsNumber?: unknown;
}): { path: ['subject' | 'nhsNumber']; message: string } | undefined {
  if (e.subject === undefined && e.nhsNumber === undefined) {
    return { path: ['subject'], message: IDENTITY_MESSAGES.missing };
  }
  if (e.subject !== undefined && e.nhsNumber !== undefined) {
    return { path: ['nhsNumber'], message: IDENTITY_MESSAGES.both };
  }
  return undefined;
}

export const INCOMING_SCHEMAS = {
  'consent.given': incoming('consent.given'),
  'consent.reconfirmed': incoming('consent.reconfirmed'),
  'consent.cancelled': incoming('consent.cancelled'),
  'consent.withdrawn': incoming('consent.withdrawn'),
  'optout.registered': incoming('optout.registered'),
  'optout.revoked': incoming('optout.revoked'),
} as const satisfies Record<IncomingEventType, z.ZodType>;

type IncomingIdentity = { subject: string; nhsNumber?: undefined } | { nhsNumber: string; subject?: undefined };
/** A validated hospital submission (payload already upcast to the current version). */
export type IncomingEvent = {
  [T in IncomingEventType]: Omit<z.infer<(typeof INCOMING_SCHEMAS)[T]>, 'subject' | 'nhsNumber'> & IncomingIdentity;
}[IncomingEventType];
