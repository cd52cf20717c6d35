// Identifier and time formats shared by every event. Messages never contain the input value:
// a mistyped field could hold an NHS number, and problem details end up in logs.
import * as z from 'zod';
import { regexes } from 'zod/v4/core';

const UTC_TIMESTAMP_MAX_LENGTH = 30;

/**
 * UTC instant, ISO 8601 / RFC 3339 with `Z`, seconds required, up to 9 fractional digits
 * (e.g. "2026-03-01T09:30:00Z", "2026-03-01T09:30:00.123456Z"). Offsets are refused so that the
 * ledger holds one spelling per instant; compare with `compareUtc`, not `<` on strings.
 */
export const UtcTimestampSchema = z.iso
  .datetime({ error: 'must be a UTC timestamp like 2026-03-01T09:30:00Z' })
  .max(UTC_TIMESTAMP_MAX_LENGTH, { error: 'at most 9 fractional second digits' });

/** The pattern UtcTimestampSchema checks (zod's own, so the two cannot drift; a property test compares them). */
const UTC_TIMESTAMP = regexes.datetime({ offset: false, local: false });

/** UtcTimestampSchema.safeParse(value).success, without a parse: the cross-field rules call it a few times
 *  per event, and a failed safeParse (an absent optional time) builds a result object each time. */
export function isUtcTimestamp(value: unknown): value is string {
  return typeof value === 'string' && value.length <= UTC_TIMESTAMP_MAX_LENGTH && UTC_TIMESTAMP.test(value);
}

/** Event ids: 1..128 of [A-Za-z0-9._:-]. With `source` they identify an event; the ledger
 *  additionally treats the id alone as the unit of identity (dedupe key). */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const EventIdSchema = z
  .string()
  .regex(EVENT_ID_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' });

/**
 * CloudEvents `source`, a URI-reference naming the emitting organisation:
 *  - `org:<slug>` — a hospital, GP system or other organisation (the only form ingest accepts,
 *    and it must equal the authenticated caller's own);
 *  - `sys:<component>` — the ledger's own components (workflows, data-user registry).
 */
const SOURCE_PATTERN = /^(?:org|sys):[a-z0-9][a-z0-9.-]{0,62}$/;
export const ORG_SOURCE_PATTERN = /^org:[a-z0-9][a-z0-9.-]{0,62}$/;
export const SourceSchema = z
  .string()
  .regex(SOURCE_PATTERN, { error: 'must be org:<slug> or sys:<component> (lowercase a-z 0-9 . -)' });
export const OrgSourceSchema = z
  .string()
  .regex(ORG_SOURCE_PATTERN, { error: 'must be org:<slug> (lowercase a-z 0-9 . -)' });

/**
 * Pseudonymous subject id: `sub_` + 16..64 base64url characters. Ingest derives it as
 * `sub_` + base64url(HMAC-SHA256(key, nhsNumber)) (43 characters); hospitals that already hold
 * the pseudonym may send it directly. The prefix guarantees a bare NHS number (10 digits) can never
 * pass as a subject id.
 */
export const SUBJECT_ID_PATTERN = /^sub_[A-Za-z0-9_-]{16,64}$/;
export const SubjectIdSchema = z
  .string()
  .regex(SUBJECT_ID_PATTERN, { error: 'must be a pseudonymous subject id: sub_ + 16-64 of A-Z a-z 0-9 _ -' });

/** Registered data user id: `du_` + 3..64 of [A-Za-z0-9_-]. */
export const DATA_USER_ID_PATTERN = /^du_[A-Za-z0-9_-]{3,64}$/;
export const DataUserIdSchema = z
  .string()
  .regex(DATA_USER_ID_PATTERN, { error: 'must be a data user id: du_ + 3-64 of A-Z a-z 0-9 _ -' });

/** Policy version recorded on events, e.g. "2026-01" or "v3". */
export const PolicyVersionSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,32}$/, { error: 'must be 1-32 characters of A-Z a-z 0-9 . _ -' });

/**
 * NHS number: exactly 10 digits (no spaces) with a valid modulus-11 check digit. Only ever seen
 * on the way into ingest, which replaces it with a pseudonym before anything is written.
 */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(value[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false; // no valid number has this remainder
  return (check === 11 ? 0 : check) === Number(value[9]);
}
const NHS_NUMBER_MESSAGE = 'must be a 10-digit NHS number with a valid check digit';
export const NhsNumberSchema = z
  .string({ error: NHS_NUMBER_MESSAGE })
  .regex(/^\d{10}$/, { error: NHS_NUMBER_MESSAGE })
  .refine(isValidNhsNumber, { error: NHS_NUMBER_MESSAGE, abort: true });

/** Sortable form of a validated UtcTimestamp: fraction padded to 9 digits. */
function sortKey(ts: string): string {
  const body = ts.slice(0, -1); // drop Z
  const dot = body.indexOf('.');
  if (dot < 0) return `${body}.000000000`;
  return `${body.slice(0, dot)}.${body.slice(dot + 1).padEnd(9, '0')}`;
}

/** Total order on validated UTC timestamps, exact to the nanosecond (Date would round to ms). */
export function compareUtc(a: string, b: string): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Milliseconds since the epoch (sub-millisecond digits truncated). */
export function utcMillis(ts: string): number {
  return Date.parse(ts);
}
