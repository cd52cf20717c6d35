// What a data user attests when it acknowledges a revocation notice: what it did with the subject's
// data, when, by whom (a role, never a name) and, optionally, the hash of its own evidence. Carried by
// revocation.acknowledged from dataversion 2 on; a version-1 acknowledgement confirmed receipt only and
// is read as "acknowledged, not attested" (attestation null, upcast.ts).
//
// Codes, not free text: a payload on the ledger never carries notes (which could hold a name or a
// number). Retention names its legal basis from the UK GDPR Article 17(3) exceptions and what is kept.
import * as z from 'zod';
import { UtcTimestampSchema } from './primitives.js';

export const ATTESTED_ACTIONS = ['deleted', 'derived-data-deleted', 'retained'] as const;
export type AttestedAction = (typeof ATTESTED_ACTIONS)[number];

/** UK GDPR Article 17(3): when the right to erasure does not apply. */
export const RETENTION_BASES = [
  'legal-obligation', // 17(3)(b)
  'public-health', // 17(3)(c), Art. 9(2)(h)-(i)
  'research-impossible-without', // 17(3)(d): erasure would render impossible or seriously impair the research
  'legal-claims', // 17(3)(e)
] as const;
export type RetentionBasis = (typeof RETENTION_BASES)[number];

/** What is kept under the basis. */
export const RETAINED_ITEMS = ['trained-model', 'derived-data', 'aggregate-results', 'released-data'] as const;
export type RetainedItem = (typeof RETAINED_ITEMS)[number];

export const ATTESTER_ROLES = [
  'data-protection-officer',
  'information-governance-lead',
  'data-custodian',
  'principal-investigator',
  'system-administrator',
  'automated-process',
] as const;
export type AttesterRole = (typeof ATTESTER_ROLES)[number];

const common = {
  performedAt: UtcTimestampSchema.meta({ description: 'When it was done (UTC).' }),
  performedBy: z
    .strictObject({ role: z.enum(ATTESTER_ROLES) })
    .meta({ description: 'Who did it, as a role in the data user’s organisation (never a name).' }),
  evidenceSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 as 64 lowercase hex digits' })
    .optional()
    .meta({ description: 'SHA-256 of the data user’s own evidence (e.g. a deletion log), which it keeps.' }),
};

export const AttestationSchema = z
  .discriminatedUnion('action', [
    z
      .strictObject({ action: z.literal('deleted'), ...common })
      .meta({ description: 'The released data of this subject was deleted.' }),
    z
      .strictObject({ action: z.literal('derived-data-deleted'), ...common })
      .meta({ description: 'The released data and everything derived from it were deleted.' }),
    z
      .strictObject({
        action: z.literal('retained'),
        retained: z.enum(RETAINED_ITEMS).meta({ description: 'What is kept.' }),
        legalBasis: z.enum(RETENTION_BASES).meta({ description: 'The UK GDPR Article 17(3) exception relied on.' }),
        basisReference: z
          .string()
          .regex(/^[\x20-\x7E]{1,128}$/, { error: 'must be 1-128 printable ASCII characters' })
          .optional()
          .meta({ description: 'Reference of the decision or approval that records the basis.' }),
        ...common,
      })
      .meta({ description: 'Kept under a named legal basis (e.g. a trained model that cannot unlearn).' }),
  ])
  .meta({
    title: 'Attestation',
    description: 'What the data user did with the subject’s data, when, by whom (role), with optional evidence hash.',
  });
export type Attestation = z.infer<typeof AttestationSchema>;
