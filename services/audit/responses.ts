// The audit API's public answers: models of their own (the OpenAPI schemas, and the checks the
// integration tests run on every answer). The compile-time checks at the bottom keep each model and
// the report the code builds in step; a subject's state is served as the public SubjectConsent view,
// never as the fold's internal state.
import * as z from 'zod';
import { AttestationSchema } from '../../contracts/consent/attestation.js';
import { HOLDER_PROGRESS, WITHDRAWAL_PROGRESS } from '../../contracts/consent/lifecycle.js';
import { SubjectConsent, subjectConsent } from '../../contracts/subjectViews.js';
import type { VerifyReport } from './verify.js';
import type { ReplayReport } from './replay.js';
import type { LedgerSummary, ReleaseAfterRefusalReport, StateAsOfReport, WithdrawalReport } from './summary.js';
import type { AuditReport as BuiltReport } from './report.js';

const ts = z.string().meta({ format: 'date-time' });
const count = z.number().int();

const VerifyProblem = z.object({
  partition: count,
  offset: z.string().meta({ description: 'The ledger offset the problem is at' }),
  kind: z.string().meta({ description: 'modified, deleted, inserted, reordered, forged-checkpoint, …' }),
  detail: z.string(),
});

export const AuditVerification = z
  .object({
    ok: z.boolean(),
    ledgerTopic: z.string(),
    checkpointsTopic: z.string(),
    sealedTopic: z.string(),
    totals: z.object({
      records: count,
      checkpoints: count,
      sealedRecords: count,
      unsealed: count,
      duplicates: count,
      duplicateCheckpoints: count,
    }),
    partitions: z.array(
      z.object({
        partition: count,
        records: count,
        checkpoints: count,
        sealed: count,
        sealedThrough: z.string().optional(),
        unsealed: count,
        duplicates: count,
        problem: VerifyProblem.optional(),
      }),
    ),
    problems: z.array(VerifyProblem),
  })
  .meta({ id: 'AuditVerification', description: 'The ledger checked against its signed checkpoints' });

export const AuditReplay = z
  .object({
    ok: z.boolean(),
    ledgerTopic: z.string(),
    subjects: count,
    records: count,
    poison: count,
    differences: z.array(
      z.object({
        subject: z.string().optional(),
        partition: count,
        kind: z.enum(['missing-in-projection', 'extra-in-projection', 'differs', 'projection-behind']),
        detail: z.string(),
      }),
    ),
    differenceCount: count,
    compared: z
      .enum(['fingerprints', 'documents'])
      .describe(
        'fingerprints: the fingerprint the projector stored with each state; documents (deep=true): every stored state',
      ),
  })
  .meta({ id: 'AuditReplay', description: 'Every subject re-folded from the ledger, compared with the projection' });

export const AuditStateAsOf = z
  .object({
    subject: z.string(),
    asOf: ts,
    state: SubjectConsent,
    events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        source: z.string(),
        occurredAt: ts,
        recordedAt: ts,
        partition: count,
        offset: z.string(),
      }),
    ),
  })
  .meta({ id: 'AuditStateAsOf', description: 'What the system knew about a subject at an instant' });

const AuditWithdrawal = z.object({
  withdrawalId: z.string(),
  subject: z.string(),
  occurredAt: ts,
  recordedAt: ts,
  status: z.enum(WITHDRAWAL_PROGRESS),
  holders: z.array(
    z.object({
      dataUserId: z.string(),
      status: z.enum(HOLDER_PROGRESS),
      dueBy: ts.optional(),
      attestation: AttestationSchema.optional().meta({ description: 'What the data user attested, when it did' }),
    }),
  ),
  completedAt: ts.optional(),
  propagationHours: z.number().optional(),
});
const ReleaseAfterRefusal = z.object({
  subject: z.string(),
  releaseEventId: z.string(),
  releaseId: z.string(),
  dataUserId: z.string(),
  releasedBy: z.string().meta({ description: 'The releasing organisation' }),
  releaseOccurredAt: ts,
  releaseRecordedAt: ts,
  refusalId: z.string(),
  refusalKind: z.string(),
  refusalOccurredAt: ts,
  notice: z.enum(['not-sent', ...HOLDER_PROGRESS]),
  dueBy: ts.optional(),
});
export const AuditWithdrawals = z
  .object({ withdrawals: z.array(AuditWithdrawal), releasesAfterRefusal: z.array(ReleaseAfterRefusal) })
  .meta({ id: 'AuditWithdrawals', description: 'Every withdrawal, its holders and their status' });

const LedgerSummarySchema = z.object({
  ledgerTopic: z.string(),
  records: count,
  poison: count,
  subjects: count,
  subjectsWithOptOut: count,
  subjectsWithWithdrawal: count,
  byDay: z.record(z.string(), z.record(z.string(), count)),
  withdrawals: z.array(AuditWithdrawal),
  releasesAfterRefusal: z.array(ReleaseAfterRefusal),
});
export const AuditReport = z
  .object({ generatedAt: ts, trustedKeyId: z.string(), verification: AuditVerification, summary: LedgerSummarySchema })
  .meta({ id: 'AuditReport', description: 'Verification and ledger summary in one report' });

export const AuditPublicKey = z
  .object({ keyId: z.string(), algorithm: z.literal('Ed25519'), publicKeyPem: z.string() })
  .meta({ id: 'AuditPublicKey', description: 'The sealer public key this service trusts' });

/** The public answer for a state-as-of report: the fold's state as the SubjectConsent view. */
export function publicStateAsOf(r: StateAsOfReport): z.infer<typeof AuditStateAsOf> {
  return { ...r, state: subjectConsent(r.subject, r.state, r.asOf) };
}

// Each built report fits its public model (a change on either side fails the type check).
type Fits<Built, Model extends z.ZodType> = Built extends z.input<Model> ? true : never;
export const BUILT_REPORTS_FIT_THEIR_MODELS: [
  Fits<VerifyReport, typeof AuditVerification>,
  Fits<ReplayReport, typeof AuditReplay>,
  Fits<WithdrawalReport, typeof AuditWithdrawal>,
  Fits<ReleaseAfterRefusalReport, typeof ReleaseAfterRefusal>,
  Fits<LedgerSummary, typeof LedgerSummarySchema>,
  Fits<BuiltReport, typeof AuditReport>,
] = [true, true, true, true, true, true];
