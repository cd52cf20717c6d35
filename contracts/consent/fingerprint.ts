// A subject state's fingerprint: 8 bytes of sha256 per field of canonical JSON — enough to tell equal
// from different, and which field differs. The projection writer stores it beside each subject document
// and the audit replay recomputes it from the ledger, so comparing a whole projection with the ledger
// reads 60-byte documents instead of every stored state (FerretDB spends ~1.8 ms decoding each 3.5 KB
// state; see services/audit/replay.ts).
//
// Not for workflow code: canonical.js imports node:crypto, which the workflow sandbox refuses.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { SubjectState } from './fold.js';

const FIELDS = ['subject', 'records', 'facts', 'unresolved', 'releases'] as const;
const BYTES = 8;

/** base64 of 8 bytes of sha256(canonicalJson(field)) per field, in FIELDS order. */
export function stateFingerprint(s: SubjectState): string {
  return Buffer.concat(
    FIELDS.map((k) =>
      createHash('sha256')
        .update(canonicalJson(s[k] ?? null))
        .digest()
        .subarray(0, BYTES),
    ),
  ).toString('base64');
}

/** The fields whose fingerprints differ (all of them when one is not a fingerprint of this shape). */
export function fieldsThatDiffer(a: string, b: string): string[] {
  const [x, y] = [Buffer.from(a, 'base64'), Buffer.from(b, 'base64')];
  if (x.length !== FIELDS.length * BYTES || y.length !== x.length) return [...FIELDS];
  return FIELDS.filter(
    (_, i) => !x.subarray(i * BYTES, (i + 1) * BYTES).equals(y.subarray(i * BYTES, (i + 1) * BYTES)),
  );
}

/** The highest ledger offset among the state's records ("-1" when it has none). */
export function lastOffset(s: SubjectState): string {
  let last = -1n;
  for (const r of s.records) {
    const o = BigInt(r.position.offset);
    if (o > last) last = o;
  }
  return last.toString();
}
