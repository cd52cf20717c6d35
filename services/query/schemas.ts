// Request and response schemas of the query API: one source for validation (routes) and for the
// OpenAPI document (openapi.ts).
import * as z from 'zod';
import {
  DataUserIdSchema,
  EventIdSchema,
  SubjectIdSchema,
  UtcTimestampSchema,
} from '../../contracts/consent/primitives.js';
import {
  DataCategorySchema,
  DataUserCategorySchema,
  JurisdictionSchema,
  PurposeSchema,
} from '../../contracts/consent/vocabulary.js';
import { ApprovalSchema } from '../../contracts/consent/data.js';
import { REASON_CODES } from '../../contracts/consent/decide.js';
import { issuesToProblems } from '../../contracts/consent/problems.js';
import { DomainError } from '../../contracts/domainError.js';

/** Parse with a schema; failures become a 400 problem naming each bad field. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: readonly string[] = [],
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new DomainError('invalid-request', 'the request is not valid', issuesToProblems(r.error.issues, prefix));
}

export const SubjectPath = z.object({ id: SubjectIdSchema });
export const AsOfQuery = z.strictObject({
  asOf: UtcTimestampSchema.optional().meta({
    description: 'A past instant (UTC): the state from the events recorded up to then',
  }),
});

export const DecisionRequest = z
  .strictObject({
    subject: SubjectIdSchema,
    purpose: PurposeSchema,
    dataCategory: DataCategorySchema,
    dataUserId: DataUserIdSchema.optional().meta({ description: 'Must be the caller itself (default).' }),
    asOf: UtcTimestampSchema.optional().meta({
      description:
        'Decide as of a past instant: the same fold over the events recorded up to then, with expiry judged at that ' +
        "instant. The data user's registration is taken as it is now.",
    }),
  })
  .meta({ id: 'DecisionRequest' });

const ReasonSchema = z.object({ code: z.enum(REASON_CODES), message: z.string(), eventIds: z.array(z.string()) });

export const DecisionResponse = z
  .object({
    decisionId: z.string().meta({ description: 'Id of the decision-log record' }),
    decision: z.enum(['permit', 'deny']),
    reasons: z.array(ReasonSchema).min(1),
    eventIds: z.array(z.string()).meta({ description: 'Every ledger event id the decision rests on' }),
    policyVersion: z.string(),
    effectiveFrom: z.string().optional().meta({
      description:
        'Denied by a consent not yet effective: the time its consent.effective will carry, unless refused first',
    }),
    reconfirmFrom: z.string().optional().meta({
      description:
        'Denied by an acute/emergency consent: a reconfirmation counts only if made from this time (the end of its cooling-off)',
    }),
    reconfirmBy: z
      .string()
      .optional()
      .meta({ description: '… and no later than this time; without one the consent lapses then' }),
    subject: z.string(),
    purpose: PurposeSchema,
    dataCategory: DataCategorySchema,
    dataUserId: z.string(),
    decidedAt: z.string(),
    asOf: z.string().optional(),
  })
  .meta({ id: 'Decision' });

export const FilterQuery = z.strictObject({
  purpose: PurposeSchema,
  dataCategory: DataCategorySchema,
  dataUserId: DataUserIdSchema.optional(),
});

export const FilterLine = z
  .object({
    subject: z.string(),
    decision: z.enum(['permit', 'deny']),
    reasons: z.array(z.enum(REASON_CODES)),
  })
  .meta({ id: 'FilterLine', description: 'One NDJSON line per subject, in the order sent' });

export const FilterTrailer = z
  .object({
    summary: z
      .object({
        decisionId: z.string(),
        cohortSize: z.number().int(),
        permitted: z.number().int(),
        denied: z.number().int(),
        cohortSha256: z.string(),
        logged: z.literal(true),
      })
      .optional(),
    error: z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() }).optional(),
  })
  .meta({
    id: 'FilterTrailer',
    description:
      'The last NDJSON line: a summary (the answers are valid and on the decision log) or an error (discard every line)',
  });

export const RegisterDataUser = z
  .strictObject({
    dataUserId: DataUserIdSchema,
    name: z
      .string()
      // eslint-disable-next-line no-control-regex -- control characters are what the name must not contain
      .regex(/^[^\x00-\x1F\x7F]{1,200}$/, { error: 'must be 1-200 characters without control characters' }),
    category: DataUserCategorySchema,
    jurisdiction: JurisdictionSchema,
    approvals: z.array(ApprovalSchema).default([]),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, { error: 'must be 1-40 characters of A-Z a-z 0-9 . _ -' })
      .optional()
      .meta({
        description: 'Idempotency key for a re-registration (correcting details); the first registration needs none',
      }),
  })
  .meta({ id: 'RegisterDataUser' });

export const ApproveDataUser = z
  .strictObject({
    approvals: z.array(ApprovalSchema).min(1, { error: 'must list at least one approval' }),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, { error: 'must be 1-40 characters of A-Z a-z 0-9 . _ -' })
      .meta({ description: 'Idempotency key: the same requestId again records nothing new' }),
  })
  .meta({ id: 'ApproveDataUser' });

export const DataUserResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    category: DataUserCategorySchema,
    jurisdiction: JurisdictionSchema,
    approvals: z.array(ApprovalSchema),
    registeredAt: z.string(),
    eventIds: z.array(z.string()),
  })
  .meta({ id: 'DataUser' });

export const MAX_RELEASE_SUBJECTS = 10_000;

export const RecordRelease = z
  .strictObject({
    releaseId: EventIdSchema.refine((s) => s.length <= 59, { error: 'must be at most 59 characters' }),
    dataUserId: DataUserIdSchema,
    purpose: PurposeSchema,
    // Unique, as on the release.recorded event: a duplicate is refused here, naming the request's own field
    // (found by fuzzing: it used to reach the ledger writer and come back as 422 at /data/dataCategories/<i>).
    dataCategories: z
      .array(DataCategorySchema)
      .min(1, { error: 'must list at least one data category' })
      .superRefine((items, ctx) => {
        items.forEach((it, i) => {
          if (items.indexOf(it) !== i) ctx.addIssue({ code: 'custom', message: 'duplicate value', path: [i] });
        });
      })
      .meta({ uniqueItems: true }),
    occurredAt: UtcTimestampSchema.optional().meta({ description: 'When the data was released (default: now)' }),
    subjects: z
      .array(SubjectIdSchema)
      .min(1)
      .max(MAX_RELEASE_SUBJECTS, {
        error: `at most ${MAX_RELEASE_SUBJECTS} subjects per call; send a large release in several calls with the same releaseId`,
      }),
  })
  .meta({ id: 'RecordRelease' });

export const ReleasesQuery = z.strictObject({ dataUserId: DataUserIdSchema.optional() });

export const ReleaseSummary = z
  .object({
    releaseId: z.string(),
    dataUserId: z.string(),
    purpose: PurposeSchema,
    dataCategories: z.array(DataCategorySchema),
    source: z.string(),
    subjects: z
      .number()
      .int()
      .meta({ description: 'Subjects recorded through this API (the ledger is authoritative)' }),
    firstRecordedAt: z.string(),
  })
  .meta({ id: 'ReleaseSummary' });
