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

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number at ${path || '/'}`);
      return JSON.stringify(value); // ECMAScript Number serialisation = RFC 8785 §3.2.2.3
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((v, i) => {
            if (v === undefined) throw new CanonicalJsonError(`undefined array element at ${path}/${i}`);
            return serialise(v, `${path}/${i}`);
          })
          .join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError(`not a plain JSON object at ${path || '/'}`);
      }
      const obj = value as Record<string, unknown>;
      // Absent optional fields may be present as `undefined`; like JSON.stringify, omit them.
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${serialise(obj[k], `${path}/${k}`)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON at ${path || '/'}`);
  }
}

/** RFC 8785 canonical JSON text: sorted keys, no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  return serialise(value, '');
}

/** UTF-8 bytes of canonicalJson(value): the Kafka record value for a ledger event. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** SHA-256 (lowercase hex) of the canonical bytes of an event, as written. */
export function eventHash(event: unknown): string {
  return createHash('sha256').update(canonicalBytes(event)).digest('hex');
}
