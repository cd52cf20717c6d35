// The public views of a subject (consent summary and timeline), served by the query and audit APIs:
// API does not change whenever the fold's internal state does. Each zod schema is the OpenAPI
// schema of its route and the check the integration tests run on every answer; the functions map
// the fold's state onto them (the only place that knows both).
import * as z from 'zod';
import type { ConsentFact, Fact, OptOutFact, SubjectState, WithdrawalFact } from './consent/fold.js';
import { ScopeSchema } from './consent/vocabulary.js';

const ts = z.string().meta({ format: 'date-time' });
const eventId = z.string().meta({ description: 'The ledger event id' });

const ConsentSummary = z.object({
  kind: z.literal('consent'),
  eventId,
  status: z.enum(['cooling-off', 'awaiting-reconfirmation', 'effective', 'cancelled', 'lapsed', 'expired']),
  scope: ScopeSchema,
  occurredAt: ts.meta({ description: 'When the person gave it' }),
  recordedAt: ts.meta({ description: 'When the ledger recorded it' }),
  capture: z.object({ channel: z.string(), setting: z.string() }),
  policyVersion: z.string(),
  validUntil: ts.optional(),
  effectiveFrom: ts.optional().meta({ description: 'When consent.effective took effect' }),
  endedAt: ts.optional(),
  endedBy: z.enum(['cancelled', 'lapsed', 'expired']).optional(),
  reconfirmedAt: z.array(ts).meta({ description: 'Every reconfirmation recorded, in ledger order' }),
  withdrawnBy: z.array(z.string()).meta({ description: 'Later withdrawals whose scope overlaps this consent' }),
});

const WithdrawalSummary = z.object({
  kind: z.literal('withdrawal'),
  eventId,
  scope: ScopeSchema,
  occurredAt: ts,
  recordedAt: ts,
  consentId: z.string().optional(),
  notified: z.array(z.string()).meta({ description: 'Data users sent a revocation notice' }),
  acknowledged: z.array(z.string()),
  completedAt: ts.optional(),
});

const OptOutSummary = z.object({
  kind: z.literal('opt-out'),
  eventId,
  scope: ScopeSchema,
  national: z.boolean(),
  occurredAt: ts,
  recordedAt: ts,
  revokedAt: ts.optional(),
});

export const SubjectConsent = z
  .object({
    subject: z.string().meta({ description: 'Pseudonymous subject id' }),
    asOf: ts.meta({ description: 'The instant the state is of (now, or the asOf asked)' }),
    choices: z.array(z.discriminatedUnion('kind', [ConsentSummary, WithdrawalSummary, OptOutSummary])).meta({
      description: 'Consents, withdrawals and opt-outs, in the order they happened',
    }),
    releases: z.array(
      z.object({
        eventId,
        releaseId: z.string(),
        dataUserId: z.string(),
        purpose: z.string(),
        dataCategories: z.array(z.string()),
        occurredAt: ts,
      }),
    ),
    eventCount: z.number().int().meta({ description: 'Ledger events of the subject recorded up to asOf' }),
  })
  .meta({ id: 'SubjectConsent', description: "A subject's consent choices and the releases of its data" });
export type SubjectConsent = z.infer<typeof SubjectConsent>;

export const SubjectTimeline = z
  .object({
    subject: z.string(),
    events: z.array(
      z.object({
        eventId,
        type: z.string(),
        source: z.string().meta({ description: 'Emitting organisation or ledger component' }),
        occurredAt: ts,
        recordedAt: ts,
        ledger: z.object({ partition: z.number().int(), offset: z.string() }),
        data: z.record(z.string(), z.unknown()).meta({ description: 'The event data (its dataschema names it)' }),
      }),
    ),
  })
  .meta({ id: 'SubjectTimeline', description: 'Every ledger event of a subject, in the order they happened' });
export type SubjectTimeline = z.infer<typeof SubjectTimeline>;

function consentSummary(c: ConsentFact): z.infer<typeof ConsentSummary> {
  return {
    kind: 'consent',
    eventId: c.eventId,
    status: c.status,
    scope: c.scope,
    occurredAt: c.occurredAt,
    recordedAt: c.recordedAt,
    capture: c.capture,
    policyVersion: c.policyVersion,
    ...(c.validUntil !== undefined && { validUntil: c.validUntil }),
    ...(c.effective && { effectiveFrom: c.effective.occurredAt }),
    ...(c.ended && { endedAt: c.ended.occurredAt, endedBy: c.ended.status }),
    reconfirmedAt: c.reconfirmations.map((r) => r.occurredAt),
    withdrawnBy: [...c.withdrawnBy],
  };
}

function withdrawalSummary(w: WithdrawalFact): z.infer<typeof WithdrawalSummary> {
  return {
    kind: 'withdrawal',
    eventId: w.eventId,
    scope: w.scope,
    occurredAt: w.occurredAt,
    recordedAt: w.recordedAt,
    ...(w.consentId !== undefined && { consentId: w.consentId }),
    notified: [...w.propagation.notified],
    acknowledged: [...w.propagation.acknowledged],
    ...(w.propagation.completed && { completedAt: w.propagation.completed.occurredAt }),
  };
}

function optOutSummary(o: OptOutFact): z.infer<typeof OptOutSummary> {
  return {
    kind: 'opt-out',
    eventId: o.eventId,
    scope: o.scope,
    national: o.national,
    occurredAt: o.occurredAt,
    recordedAt: o.recordedAt,
    ...(o.revoked && { revokedAt: o.revoked.occurredAt }),
  };
}

function choice(f: Fact) {
  switch (f.kind) {
    case 'consent':
      return consentSummary(f);
    case 'withdrawal':
      return withdrawalSummary(f);
    case 'opt-out':
      return optOutSummary(f);
    default: {
      const _never: never = f;
      return _never;
    }
  }
}

export function subjectConsent(subject: string, state: SubjectState, asOf: string): SubjectConsent {
  return {
    subject,
    asOf,
    choices: state.facts.map(choice),
    releases: state.releases.map((r) => ({
      eventId: r.eventId,
      releaseId: r.releaseId,
      dataUserId: r.dataUserId,
      purpose: r.purpose,
      dataCategories: [...r.dataCategories],
      occurredAt: r.occurredAt,
    })),
    eventCount: state.records.length,
  };
}

export function subjectTimeline(state: SubjectState): SubjectTimeline {
  return {
    subject: state.subject ?? '',
    events: state.records.map(({ event, position }) => ({
      eventId: event.id,
      type: event.type,
      source: event.source,
      occurredAt: event.data.occurredAt,
      recordedAt: event.recordedtime,
      ledger: { partition: position.partition, offset: position.offset },
      data: event.data,
    })),
  };
}
