// Validation entry points. Every reader of the ledger (projector, workflows, auditor) calls
// parseEvent; ingest calls parseIncomingEvent on what hospitals POST and recordIncoming to turn it
// into the ledger event. Both name each failing field with a JSON Pointer and never echo a value.
import {
  CURRENT_VERSION,
  DATA_CONTENT_TYPE,
  dataSchemaId,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  INCOMING_EVENT_TYPES,
  INCOMING_SCHEMAS,
  RECORDED_ENVELOPE_SCHEMAS,
  identityProblem,
  isEventType,
  isIncomingEventType,
  type EventType,
  type IncomingEvent,
  type LedgerEvent,
} from './events.js';
import { dedupe, issuesToProblems, pointer, type Problem } from './problems.js';
import { upcastData, upcastEnvelope } from './upcast.js';

export type { Problem } from './problems.js';

export type ParseResult<E> =
  | {
      ok: true;
      event: E;
      /** The dataversion the event was written with; `event` is always upcast to the current one. */
      writtenVersion: number;
    }
  | { ok: false; problems: Problem[] };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const fail = (problems: Problem[]): { ok: false; problems: Problem[] } => ({ ok: false, problems });

/** Check type and dataversion, upcast the payload; returns the candidate for the current schema. */
function prepare<T extends EventType>(
  raw: Json,
  accepts: (t: unknown) => t is T,
  allowed: readonly T[],
): { ok: true; type: T; written: number; candidate: Json } | { ok: false; problems: Problem[] } {
  const type = raw.type;
  if (!accepts(type)) {
    const list = allowed.join(', ');
    const message =
      type === undefined
        ? `required; one of: ${list}`
        : isEventType(type)
          ? `written by the ledger itself, not accepted from callers; one of: ${list}`
          : `unknown event type; one of: ${list}`;
    return fail([{ field: '/type', message }]);
  }
  const current = CURRENT_VERSION[type];
  const version = raw.dataversion;
  if (version === undefined) {
    return fail([{ field: '/dataversion', message: `required: the data schema version (current: ${current})` }]);
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail([{ field: '/dataversion', message: `must be an integer from 1 to ${current}` }]);
  }
  if (version > current) {
    return fail([{ field: '/dataversion', message: `newer than this reader supports (current version: ${current})` }]);
  }
  if (version === current) return { ok: true, type, written: version, candidate: raw };
  const up = upcastData(type, version, raw.data);
  if (!up.ok) return fail(up.problems);
  return { ok: true, type, written: version, candidate: { ...raw, dataversion: up.version, data: up.data } };
}

/** Validate (and upcast: payload, then envelope) one ledger event as stored on `consent.ledger.v1`. */
export function parseEvent(json: unknown): ParseResult<LedgerEvent> {
  if (!isObject(json)) return fail([{ field: '', message: 'must be a JSON object (a CloudEvent)' }]);
  const prepared = prepare(json, isEventType, EVENT_TYPES);
  if (!prepared.ok) return prepared;
  const candidate = upcastEnvelope(prepared.type, prepared.written, prepared.candidate);
  const result = EVENT_SCHEMAS[prepared.type].safeParse(candidate);
  if (!result.success) return fail(issuesToProblems(result.error.issues));
  return { ok: true, event: result.data, writtenVersion: prepared.written };
}

const SERVER_SET: Record<string, string> = {
  time: 'set by the ledger (the occurrence: data.occurredAt); do not send it',
  recordedtime: 'set by the ledger when it records the event; do not send it',
};

/**
 * Validate what a hospital POSTs: a CloudEvent of an INCOMING_EVENT_TYPES type without `time`,
 * with `source` org:<slug>, and exactly one of `subject` / `nhsNumber`. The NHS number is checked
 * (modulus 11) but never appears in a problem. Ingest must then pseudonymise it and call
 * recordIncoming; it also checks that `source` is the authenticated caller's own organisation.
 */
export function parseIncomingEvent(json: unknown): ParseResult<IncomingEvent> {
  if (!isObject(json)) return fail([{ field: '', message: 'must be a JSON object (a CloudEvent)' }]);
  const prepared = prepare(json, isIncomingEventType, INCOMING_EVENT_TYPES);
  if (!prepared.ok) return prepared;
  const identity = identityProblem(json);
  const pre: Problem[] = identity ? [{ field: pointer(identity.path), message: identity.message }] : [];
  const result = INCOMING_SCHEMAS[prepared.type].safeParse(prepared.candidate);
  if (result.success && pre.length === 0) {
    return { ok: true, event: result.data as IncomingEvent, writtenVersion: prepared.written };
  }
  const problems = result.success ? [] : issuesToProblems(result.error.issues);
  return fail(
    dedupe([...pre, ...problems]).map((p) => {
      const key = p.field.slice(1);
      const hint = p.message === 'unknown field' ? SERVER_SET[key] : undefined;
      return hint ? { field: p.field, message: hint } : p;
    }),
  );
}

/**
 * The ledger event for a validated submission: `subject` is the pseudonym (ingest derives it from
 * the NHS number, or passes incoming.subject through), `recordedtime` the recording time, `time`
 * the occurrence. The NHS number is dropped here. Re-validated as a ledger event (e.g. occurredAt
 * must not lead `recordedtime`); its data was validated by parseIncomingEvent and is not parsed again.
 */
export function recordIncoming(
  incoming: IncomingEvent,
  recorded: { subject: string; recordedtime: string },
): ParseResult<LedgerEvent> {
  const { nhsNumber: _nhs, subject: _subject, ...rest } = incoming;
  const result = RECORDED_ENVELOPE_SCHEMAS[incoming.type].safeParse({
    ...rest,
    subject: recorded.subject,
    time: incoming.data.occurredAt,
    recordedtime: recorded.recordedtime,
    datacontenttype: DATA_CONTENT_TYPE,
    dataschema: dataSchemaId(incoming.type),
  });
  if (!result.success) return fail(issuesToProblems(result.error.issues));
  // The data object parseIncomingEvent produced (already upcast to the current version).
  const event = { ...(result.data as object), data: incoming.data } as LedgerEvent;
  validated.add(deepFreeze(event));
  return { ok: true, event, writtenVersion: CURRENT_VERSION[incoming.type] };
}

// Events recordIncoming has just validated as ledger events, frozen so that nothing can change one
// afterwards: the ledger writer need not validate them a second time (zod was a tenth of ingest's
// CPU under load, run twice per event). Every other event the writer gets is validated there.
const validated = new WeakSet<LedgerEvent>();

/** True for an event built by recordIncoming: valid as a ledger event, and immutable. */
export const isValidatedEvent = (event: LedgerEvent): boolean => validated.has(event);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
