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
//   time             when the ledger recorded the event (UTC, set by the server, never by a caller)
//   datacontenttype  "application/json"
//   dataversion      extension attribute: version of this type's `data` schema (CURRENT_VERSION)
//   data             the payload, always with `occurredAt` (see data.ts for why it lives there)
//
// `dataversion` versions the payload only; the envelope is CloudEvents 1.0 and does not change.
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
export const MAX_OCCURRED_AT_LEAD_MS = 5 * 60 * 1000;
export const DATA_CONTENT_TYPE = 'application/json';

function envelope<const T extends EventType, S extends z.ZodString, D extends z.ZodType>(type: T, subject: S, data: D) {
  return z.strictObject({
    specversion: z.literal('1.0'),
    id: EventIdSchema.meta({ description: 'Event id; the unit of identity (readers dedupe by it).' }),
    source: SourceSchema.meta({ description: 'Emitting organisation (org:<slug>) or ledger component (sys:<name>).' }),
    type: z.literal(type),
    subject: subject.meta({
      description: type.startsWith('dataUser.') ? 'The data user id.' : 'Pseudonymous subject id.',
    }),
    time: UtcTimestampSchema.meta({ description: 'When the ledger recorded the event (UTC, server-set).' }),
    datacontenttype: z.literal(DATA_CONTENT_TYPE),
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

/** Cross-field rules of a recorded event (the envelope `time` only exists once recorded). */
function recorded<S extends (typeof bases)[EventType]>(schema: S): S {
  // zod runs these even when a field already failed, so each rule only looks at valid fields.
  return schema.superRefine((e, ctx) => {
    const { occurredAt } = e.data as { occurredAt: unknown };
    if (
      isUtcTimestamp(occurredAt) &&
      isUtcTimestamp(e.time) &&
      utcMillis(occurredAt) - utcMillis(e.time) > MAX_OCCURRED_AT_LEAD_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not be later than the recording time (time)',
        path: ['data', 'occurredAt'],
      });
    }
    if (e.type === 'dataUser.registered' || e.type === 'dataUser.approved') {
      const d = e.data as { dataUserId: unknown };
      if (DATA_USER_ID_PATTERN.test(e.subject) && e.subject !== d.dataUserId) {
        ctx.addIssue({ code: 'custom', message: 'must equal data.dataUserId', path: ['subject'] });
      }
    }
  }) as S;
}

export const ConsentGivenEvent = recorded(bases['consent.given']);
export const ConsentEffectiveEvent = recorded(bases['consent.effective']);
export const ConsentReconfirmedEvent = recorded(bases['consent.reconfirmed']);
export const ConsentLapsedEvent = recorded(bases['consent.lapsed']);
export const ConsentCancelledEvent = recorded(bases['consent.cancelled']);
export const ConsentWithdrawnEvent = recorded(bases['consent.withdrawn']);
export const ConsentExpiredEvent = recorded(bases['consent.expired']);
export const OptOutRegisteredEvent = recorded(bases['optout.registered']);
export const OptOutRevokedEvent = recorded(bases['optout.revoked']);
export const RevocationSentEvent = recorded(bases['revocation.sent']);
export const RevocationAcknowledgedEvent = recorded(bases['revocation.acknowledged']);
export const RevocationOverdueEvent = recorded(bases['revocation.overdue']);
export const WithdrawalCompletedEvent = recorded(bases['withdrawal.completed']);
export const DataUserRegisteredEvent = recorded(bases['dataUser.registered']);
export const DataUserApprovedEvent = recorded(bases['dataUser.approved']);
export const ReleaseRecordedEvent = recorded(bases['release.recorded']);

/** The ledger schema of each type, current version. */
export const EVENT_SCHEMAS = {
  'consent.given': ConsentGivenEvent,
  'consent.effective': ConsentEffectiveEvent,
  'consent.reconfirmed': ConsentReconfirmedEvent,
  'consent.lapsed': ConsentLapsedEvent,
  'consent.cancelled': ConsentCancelledEvent,
  'consent.withdrawn': ConsentWithdrawnEvent,
  'consent.expired': ConsentExpiredEvent,
  'optout.registered': OptOutRegisteredEvent,
  'optout.revoked': OptOutRevokedEvent,
  'revocation.sent': RevocationSentEvent,
  'revocation.acknowledged': RevocationAcknowledgedEvent,
  'revocation.overdue': RevocationOverdueEvent,
  'withdrawal.completed': WithdrawalCompletedEvent,
  'dataUser.registered': DataUserRegisteredEvent,
  'dataUser.approved': DataUserApprovedEvent,
  'release.recorded': ReleaseRecordedEvent,
} as const satisfies { [T in EventType]: z.ZodType };

/** Any recorded ledger event (current version), discriminated on `type`. */
export const LedgerEventSchema = z.discriminatedUnion(
  'type',
  Object.values(EVENT_SCHEMAS) as [(typeof EVENT_SCHEMAS)[EventType], ...(typeof EVENT_SCHEMAS)[EventType][]],
);
export type LedgerEvent = { [T in EventType]: z.infer<(typeof EVENT_SCHEMAS)[T]> }[EventType];
export type EventOf<T extends EventType> = Extract<LedgerEvent, { type: T }>;
export type DataOf<T extends EventType> = EventOf<T>['data'];

export type ConsentGiven = EventOf<'consent.given'>;
export type ConsentEffective = EventOf<'consent.effective'>;
export type ConsentReconfirmed = EventOf<'consent.reconfirmed'>;
export type ConsentLapsed = EventOf<'consent.lapsed'>;
export type ConsentCancelled = EventOf<'consent.cancelled'>;
export type ConsentWithdrawn = EventOf<'consent.withdrawn'>;
export type ConsentExpired = EventOf<'consent.expired'>;
export type OptOutRegistered = EventOf<'optout.registered'>;
export type OptOutRevoked = EventOf<'optout.revoked'>;
export type RevocationSent = EventOf<'revocation.sent'>;
export type RevocationAcknowledged = EventOf<'revocation.acknowledged'>;
export type RevocationOverdue = EventOf<'revocation.overdue'>;
export type WithdrawalCompleted = EventOf<'withdrawal.completed'>;
export type DataUserRegistered = EventOf<'dataUser.registered'>;
export type DataUserApproved = EventOf<'dataUser.approved'>;
export type ReleaseRecorded = EventOf<'release.recorded'>;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(CURRENT_VERSION, value);
}
export function isIncomingEventType(value: unknown): value is IncomingEventType {
  return (INCOMING_EVENT_TYPES as readonly unknown[]).includes(value);
}

/** Ledger order of two events of one subject: occurredAt, then ledger position (caller's tiebreak). */
export function compareOccurredAt(a: LedgerEvent, b: LedgerEvent): number {
  return compareUtc(a.data.occurredAt, b.data.occurredAt);
}

// ---------------------------------------------------------------------------------------------
// What hospitals POST: the same envelope minus what the server sets (`time`; `datacontenttype`
// is optional), `source` must be an organisation, and the subject is identified by exactly one
// of `subject` (pseudonym) or `nhsNumber` (replaced by ingest with the pseudonym at once).
// ---------------------------------------------------------------------------------------------

function incoming<T extends IncomingEventType>(type: T) {
  return bases[type]
    .omit({ time: true, subject: true, source: true, datacontenttype: true })
    .extend({
      source: OrgSourceSchema,
      subject: SubjectIdSchema.optional(),
      nhsNumber: NhsNumberSchema.optional(),
      datacontenttype: z.literal(DATA_CONTENT_TYPE).optional(),
    })
    .superRefine((e, ctx) => {
      const problem = identityProblem(e);
      if (problem) ctx.addIssue({ code: 'custom', ...problem });
    });
}

export const IDENTITY_MESSAGES = {
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
} as const satisfies { [T in IncomingEventType]: z.ZodType };

type IncomingIdentity = { subject: string; nhsNumber?: undefined } | { nhsNumber: string; subject?: undefined };
/** A validated hospital submission (payload already upcast to the current version). */
export type IncomingEvent = {
  [T in IncomingEventType]: Omit<z.infer<(typeof INCOMING_SCHEMAS)[T]>, 'subject' | 'nhsNumber'> & IncomingIdentity;
}[IncomingEventType];
