// The body of POST /v1/revocations/{noticeId}/acknowledgement: the data user's attestation of what it
// did with the subject's data (contracts/consent/attestation.ts). An empty body is still taken — the
// acknowledgement clients sent before attestations existed — and recorded as acknowledged without
// attestation, which the withdrawal status, the audit report and the person's view show as such.
import * as z from 'zod';
import { AttestationSchema, type Attestation } from '../../contracts/consent/attestation.js';
import { DomainError } from '../../contracts/domainError.js';
import { issuesToProblems } from '../../contracts/consent/problems.js';
import { compareUtc } from '../../contracts/consent/primitives.js';
import { canonicalJson } from '../../contracts/consent/canonical.js';

/** A data user's clock may run a little ahead of ours; an attestation further in the future is refused. */
const MAX_CLOCK_LEAD_MS = 5 * 60 * 1000;

export const AcknowledgementBodySchema = z
  .strictObject({ attestation: AttestationSchema })
  .meta({ id: 'Acknowledgement', description: 'What the data user attests it did with the subject’s data.' });

/** The attestation in the body (undefined without a body: express.json leaves none); problems name the field. */
export function attestationOf(body: unknown, now: Date): Attestation | undefined {
  if (body === undefined) return undefined;
  const parsed = AcknowledgementBodySchema.safeParse(body);
  if (!parsed.success)
    throw new DomainError('unprocessable', 'invalid acknowledgement', issuesToProblems(parsed.error.issues));
  const a = parsed.data.attestation;
  if (compareUtc(a.performedAt, new Date(now.getTime() + MAX_CLOCK_LEAD_MS).toISOString()) > 0)
    throw new DomainError('unprocessable', 'invalid acknowledgement', [
      { field: '/attestation/performedAt', message: 'must not be in the future' },
    ]);
  return a;
}

/** A repeat must attest what the first acknowledgement did: the ledger keeps one per notice. */
export function checkSameAttestation(kept: Attestation | undefined, sent: Attestation | undefined): void {
  if (sent === undefined) return; // a bare retry of an acknowledgement
  if (kept !== undefined && canonicalJson(kept) === canonicalJson(sent)) return;
  throw new DomainError(
    'conflict',
    'this notice was already acknowledged with another attestation (or none); the first one stands',
    [{ field: '/attestation', message: 'differs from the attestation already recorded for this notice' }],
  );
}
