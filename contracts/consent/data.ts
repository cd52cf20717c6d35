// The `data` payload of every event type, current version. A schema here is frozen once events of
// its version are on the ledger: a change that an old event would fail is a new version (bump
// CURRENT_VERSION in events.ts, copy the old schema into upcast.ts with an upcaster).
//
// Every payload carries `occurredAt`: when the person expressed it (or, for system events, when the
// workflow established it). It lives in `data`, not in the CloudEvents envelope, because it is a
// domain fact that must be validated, versioned and hashed with the rest of the payload, and
// CloudEvents extension names could not spell it anyway (lowercase alphanumeric only). The
// envelope `time` is when the ledger recorded it. A subject's events fold in `occurredAt` order.
//
// No payload has a free-text field: nothing here can carry notes, names of patients or numbers.
import * as z from 'zod';
import {
  CaptureChannelSchema,
  DataCategorySchema,
  CaptureSchema,
  DataUserCategorySchema,
  JurisdictionSchema,
  PurposeSchema,
  SCOPE_DIMENSIONS,
  ScopeSchema,
  isFullScope,
} from './vocabulary.js';
import {
  DataUserIdSchema,
  EventIdSchema,
  PolicyVersionSchema,
  UtcTimestampSchema,
  compareUtc,
  isUtcTimestamp,
} from './primitives.js';
import { AttestationSchema } from './attestation.js';
import { ExpressedBySchema, ROLE_WORDS } from './expressedBy.js';

const occurredAt = UtcTimestampSchema.meta({
  description: 'When it happened (person expressed it / workflow established it), UTC.',
});
const consentId = EventIdSchema.meta({ description: 'Event id of the consent.given it refers to.' });
const withdrawalId = EventIdSchema.meta({ description: 'Event id of the consent.withdrawn.' });
const noticeId = EventIdSchema.meta({ description: 'Revocation notice id (idempotency key for deliveries).' });
const channel = CaptureChannelSchema.optional();
const expressedBy = ExpressedBySchema;

/**
 * A proxy acts only while its authority lasts: an event it expressed at or after the end of its own
 * authority is refused (at ingest, naming the field). The person's own choices have no such limit.
 */
function withinAuthority(
  d: { occurredAt: unknown; expressedBy?: { role: string; authorityEndsAt?: unknown } },
  ctx: z.RefinementCtx,
): void {
  const end = d.expressedBy?.authorityEndsAt;
  if (!isUtcTimestamp(end) || !isUtcTimestamp(d.occurredAt) || compareUtc(d.occurredAt, end) < 0) return;
  const who = ROLE_WORDS[d.expressedBy!.role as keyof typeof ROLE_WORDS];
  ctx.addIssue({
    code: 'custom',
    message: `the authority of ${who} to act for the person ended at or before occurredAt; only the person can now`,
    path: ['expressedBy', 'authorityEndsAt'],
  });
}

function uniqueList<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .superRefine((items, ctx) => {
      const seen = new Set<unknown>();
      items.forEach((it, i) => {
        if (seen.has(it)) ctx.addIssue({ code: 'custom', message: 'duplicate value', path: [i] });
        seen.add(it);
      });
    })
    .meta({ uniqueItems: true });
}

export const ConsentGivenData = z
  .strictObject({
    occurredAt,
    scope: ScopeSchema,
    capture: CaptureSchema,
    policyVersion: PolicyVersionSchema,
    validUntil: UtcTimestampSchema.optional(),
    expressedBy,
  })
  .superRefine((d, ctx) => {
    withinAuthority(d, ctx);
    // zod runs refinements even when a field already failed: compare only valid timestamps.
    if (isUtcTimestamp(d.validUntil) && isUtcTimestamp(d.occurredAt) && compareUtc(d.validUntil, d.occurredAt) <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be later than occurredAt', path: ['validUntil'] });
    }
  })
  .meta({ description: 'Consent given; effective after cooling-off (and reconfirmation if acute/emergency).' });

export const ConsentEffectiveData = z
  .strictObject({ occurredAt, consentId, policyVersion: PolicyVersionSchema })
  .meta({ description: 'Written by the cooling-off workflow when the consent takes effect.' });

export const ConsentReconfirmedData = z
  .strictObject({ occurredAt, consentId, capture: CaptureSchema, expressedBy })
  .superRefine(withinAuthority)
  .meta({ description: 'The person reconfirmed an acute/emergency-captured consent after cooling-off.' });

export const ConsentLapsedData = z
  .strictObject({ occurredAt, consentId, policyVersion: PolicyVersionSchema })
  .meta({ description: 'No reconfirmation within the window; the consent never takes effect.' });

export const ConsentCancelledData = z
  .strictObject({ occurredAt, consentId, channel, expressedBy })
  .superRefine(withinAuthority)
  .meta({ description: 'Consent withdrawn while still in cooling-off; it never became effective.' });

export const ConsentWithdrawnData = z
  .strictObject({
    occurredAt,
    scope: ScopeSchema,
    consentId: consentId.optional(),
    channel,
    expressedBy,
  })
  .superRefine(withinAuthority)
  .meta({
    description:
      'Prospective and retrospective: blocks future use at once and starts propagation to every ' +
      'data user holding the subject’s data within the scope.',
  });

/**
 * `national` is explicit rather than derived from an all-"*" scope: a local opt-out may cover
 * everything too, yet only the national one overrides later consents. A national opt-out must
 * have scope "*" in every dimension.
 */
export const OptOutRegisteredData = z
  .strictObject({ occurredAt, scope: ScopeSchema, national: z.boolean(), channel, expressedBy })
  .superRefine((d, ctx) => {
    withinAuthority(d, ctx);
    if (!d.national || isFullScope(d.scope)) return;
    for (const dim of SCOPE_DIMENSIONS) {
      if (d.scope[dim] !== '*') {
        ctx.addIssue({ code: 'custom', message: 'a national opt-out must be "*"', path: ['scope', dim] });
      }
    }
  })
  .meta({ description: 'Prospective only: blocks future releases, no propagation.' });

export const OptOutRevokedData = z
  .strictObject({
    occurredAt,
    optOutId: EventIdSchema.meta({ description: 'Event id of the optout.registered it revokes.' }),
    channel,
    expressedBy,
  })
  .superRefine(withinAuthority)
  .meta({ description: 'The person lifted an opt-out.' });

export const ConsentExpiredData = z
  .strictObject({ occurredAt, consentId, validUntil: UtcTimestampSchema })
  .meta({ description: 'The consent’s validUntil passed.' });

export const RevocationSentData = z
  .strictObject({
    occurredAt,
    withdrawalId,
    dataUserId: DataUserIdSchema,
    noticeId,
    dueBy: UtcTimestampSchema.meta({ description: 'Acknowledgement deadline under the propagation SLA.' }),
    policyVersion: PolicyVersionSchema,
  })
  .meta({ description: 'A revocation notice was delivered to a data user holding the subject’s data.' });

export const RevocationAcknowledgedData = z
  .strictObject({
    occurredAt,
    withdrawalId,
    dataUserId: DataUserIdSchema,
    noticeId,
    attestation: AttestationSchema.nullable().meta({
      description: 'What the data user attests it did; null: acknowledged without attestation.',
    }),
  })
  .meta({ description: 'The data user acknowledged the revocation notice, with its attestation.' });

export const RevocationOverdueData = z
  .strictObject({ occurredAt, withdrawalId, dataUserId: DataUserIdSchema, noticeId, dueBy: UtcTimestampSchema })
  .meta({ description: 'No acknowledgement by dueBy; escalated, propagation continues.' });

export const WithdrawalCompletedData = z
  .strictObject({
    occurredAt,
    withdrawalId,
    dataUserIds: uniqueList(DataUserIdSchema).meta({
      description: 'Every data user that was notified and acknowledged (empty if none held data).',
      uniqueItems: true,
    }),
  })
  .meta({ description: 'Every data user holding the subject’s data within scope has acknowledged.' });

export const ApprovalSchema = z
  .strictObject({
    purpose: PurposeSchema,
    reference: z
      .string()
      .regex(/^[\x20-\x7E]{1,128}$/, { error: 'must be 1-128 printable ASCII characters' })
      .meta({ description: 'Approval reference, e.g. an IRAS, CAG or DARS agreement number.' }),
    expiresAt: UtcTimestampSchema,
  })
  .meta({ title: 'Approval' });
export type Approval = z.infer<typeof ApprovalSchema>;

export const DataUserRegisteredData = z
  .strictObject({
    occurredAt,
    dataUserId: DataUserIdSchema,
    name: z
      .string()
      // eslint-disable-next-line no-control-regex -- control characters are what the name must not contain
      .regex(/^[^\x00-\x1F\x7F]{1,200}$/, { error: 'must be 1-200 characters without control characters' })
      .meta({ description: 'Organisation name.' }),
    category: DataUserCategorySchema,
    jurisdiction: JurisdictionSchema,
    approvals: z.array(ApprovalSchema),
  })
  .meta({ description: 'A data user (organisation) registered; envelope subject = dataUserId.' });

export const DataUserApprovedData = z
  .strictObject({
    occurredAt,
    dataUserId: DataUserIdSchema,
    approvals: z.array(ApprovalSchema).min(1, { error: 'must list at least one approval' }),
  })
  .meta({ description: 'Further approvals granted to a registered data user; envelope subject = dataUserId.' });

/**
 * A release of one subject's data to a data user, recorded by the organisation that released it.
 * One event per subject and release (keyed by subject, so it sorts with the subject's consent events):
 * withdrawal propagation reads a subject's holders from its own fold, and an auditor can prove which
 * data users held the data when a withdrawal arrived.
 */
export const ReleaseRecordedData = z
  .strictObject({
    occurredAt,
    releaseId: EventIdSchema.meta({ description: 'The release (data extract) this subject was part of.' }),
    dataUserId: DataUserIdSchema,
    purpose: PurposeSchema,
    dataCategories: uniqueList(DataCategorySchema).min(1, { error: 'must list at least one data category' }),
  })
  .meta({ description: 'This subject’s data was released to a data user for a purpose.' });
