// Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the event hash.
//
// Why our own ~40 lines rather than the `canonicalize` package: for the JSON our events can hold
// (strings, finite numbers, booleans, null, arrays, objects) JCS *is* ECMAScript JSON.stringify
// with object keys sorted by UTF-16 code units — exactly what Array.prototype.sort does by default
// — so a dependency would add supply-chain surface for no extra correctness.
//
// What is hashed: the event as written on the ledger (its stored version), never an upcast view.
// The ledger-writer produces the Kafka value from canonicalJson(event), so value bytes, hash and
// signatures all agree; a verifier recomputes eventHash(JSON.parse(value)).
//
// Note for workflow code: this module imports node:crypto, which Temporal's workflow sandbox
// refuses: workflow code imports the modules it needs (e.g. ./events.js), never this one.
import { createHash } from 'node:crypto';

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

/** Thrown by the fast pass on what is not JSON (one instance: no stack built per throw); the checking
 *  pass then finds where, for the message. */
const NOT_JSON = new CanonicalJsonError('not JSON');

/** What JSON.stringify escapes in a string: '"', '\\', controls, and (being well-formed) lone surrogates,
 *  so any surrogate sends the string to JSON.stringify. Most of ours have none and are quoted as they are. */
// eslint-disable-next-line no-control-regex -- the controls are what JSON escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function quoted(s: string): string {
  return ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Object keys repeat (every event has the same few dozen): their quoted form is kept, up to a bound. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = quoted(k);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(k, q);
  }
  return q;
}

/** Keys in UTF-16 code-unit order (Array#sort's default, as RFC 8785 asks); most objects' keys already are. */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

/**
 * The hot path (every event is serialised on every write): no path strings built per node, as the
 * checking pass below does; it throws NOT_JSON, and only then is the path worked out.
 */
function serialise(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return quoted(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      return JSON.stringify(value); // ECMAScript Number serialisation = RFC 8785 §3.2.2.3
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (v === undefined) throw NOT_JSON;
          out += (i > 0 ? ',' : '') + serialise(v);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
      const obj = value as Record<string, unknown>;
      // Absent optional fields may be present as `undefined`; like JSON.stringify, omit them.
      const keys = sortedKeys(obj);
      let out = '{';
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += `${out.length > 1 ? ',' : ''}${quotedKey(k)}:${serialise(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw NOT_JSON;
  }
}

/** Where `value` is not JSON: throws the CanonicalJsonError naming the path. */
function locateNotJson(value: unknown, path: string): void {
  if (value === null) return;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number at ${path || '/'}`);
      return;
    case 'object': {
      if (Array.isArray(value)) {
        value.forEach((v: unknown, i) => {
          if (v === undefined) throw new CanonicalJsonError(`undefined array element at ${path}/${i}`);
          locateNotJson(v, `${path}/${i}`);
        });
        return;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError(`not a plain JSON object at ${path || '/'}`);
      }
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj).sort()) if (obj[k] !== undefined) locateNotJson(obj[k], `${path}/${k}`);
      return;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON at ${path || '/'}`);
  }
}

/** RFC 8785 canonical JSON text: sorted keys, no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  try {
    return serialise(value);
  } catch (err) {
    if (err !== NOT_JSON) throw err;
    locateNotJson(value, '');
    throw err; // unreachable: the checking pass throws first
  }
}

/**
 * canonicalJson of a plain object, and of the same object without the `omitted` top-level keys, with
 * each member serialised once: ingest needs both for every event (the record's bytes, and the hash of
 * its content for the claim), and serialising `data` twice was a tenth of a batch's CPU.
 */
export function canonicalJsonWithout(
  obj: Record<string, unknown>,
  omitted: ReadonlySet<string>,
): { whole: string; without: string } {
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) canonicalJson(obj); // throws, naming the path
  try {
    let whole = '{';
    let without = '{';
    for (const k of sortedKeys(obj)) {
      const v = obj[k];
      if (v === undefined) continue;
      const member = `${quotedKey(k)}:${serialise(v)}`;
      whole += (whole.length > 1 ? ',' : '') + member;
      if (!omitted.has(k)) without += (without.length > 1 ? ',' : '') + member;
    }
    return { whole: `${whole}}`, without: `${without}}` };
  } catch (err) {
    if (err !== NOT_JSON) throw err;
    locateNotJson(obj, '');
    throw err; // unreachable: the checking pass throws first
  }
}

/** UTF-8 bytes of canonicalJson(value): the Kafka record value for a ledger event. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** SHA-256 (lowercase hex) of the canonical bytes of an event, as written. */
export function eventHash(event: unknown): string {
  return createHash('sha256').update(canonicalBytes(event)).digest('hex');
}
