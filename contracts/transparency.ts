// The person's own view of their record: their choices in plain words, what the ledger holds, every
// release of their data (to whom, under which approval), each withdrawal with what every holder did,
// and who looked at the record. Served by the query API (for organisations acting for the person) and
// rendered as the person's web page. Everything is read off the fold's state and the lifecycle's
// rules (consentDecision, holderProgress, withdrawalProgress): nothing here decides consent again.
import * as z from 'zod';
import { AttestationSchema, type Attestation } from './consent/attestation.js';
import { consentDecision, REASON_CODES } from './consent/decide.js';
import { ROLE_WORDS } from './consent/expressedBy.js';
import type { Fact, SubjectState, WithdrawalFact } from './consent/fold.js';
import { HOLDER_PROGRESS, WITHDRAWAL_PROGRESS, holderProgress, withdrawalProgress } from './consent/lifecycle.js';
import type { PolicySet } from './consent/policy.js';
import { compareUtc } from './consent/primitives.js';
import type { DataUserRecord } from './consent/dataUsers.js';
import {
  ANY,
  DATA_CATEGORIES,
  DATA_USER_CATEGORIES,
  JURISDICTIONS,
  PURPOSES,
  type Scope,
} from './consent/vocabulary.js';

const ts = z.string().meta({ format: 'date-time' });

/** Why a reader says it read a record (the `X-Read-Reason` header or the lookup's `reason`). */
export const READ_REASONS = ['direct-care', 'patient-request', 'audit', 'administration', 'not-given'] as const;
export type ReadReason = (typeof READ_REASONS)[number];
export const READ_WHATS = ['consent', 'timeline', 'fhir', 'transparency', 'lookup', 'transparency-link'] as const;
export type ReadWhat = (typeof READ_WHATS)[number];

/** One logged read of a person's record (services/query/readLog.ts stores them). */
export interface RecordRead {
  readonly at: string;
  readonly reader: string;
  readonly role: string;
  readonly what: ReadWhat;
  readonly why: ReadReason;
}

const Use = z.object({
  purpose: z.enum(PURPOSES),
  dataCategory: z.enum(DATA_CATEGORIES),
  dataUserCategory: z.enum(DATA_USER_CATEGORIES),
  jurisdiction: z.enum(JURISDICTIONS),
  decision: z.enum(['permit', 'deny']),
  reasons: z.array(z.object({ code: z.enum(REASON_CODES), message: z.string() })).min(1),
});

const Choice = z.object({
  eventId: z.string(),
  kind: z.enum(['consent', 'withdrawal', 'opt-out']),
  occurredAt: ts,
  expressedBy: z.string().meta({ description: 'Who expressed it, in words ("you", "a parent", …)' }),
  summary: z.string().meta({ description: 'The choice in plain English' }),
  status: z.string().meta({ description: 'Where it stands now, in plain English' }),
  now: Use.meta({ description: 'The decision now for the first use the choice covers, with its reasons' }),
});

const Holder = z.object({
  dataUserId: z.string(),
  name: z.string().optional(),
  status: z.enum(HOLDER_PROGRESS),
  statusWords: z.string(),
  dueBy: ts.optional(),
  attestation: AttestationSchema.optional(),
});

export const SubjectTransparency = z
  .object({
    subject: z.string().meta({ description: 'Pseudonymous subject id' }),
    asOf: ts,
    choices: z.array(Choice).meta({ description: 'Consents, withdrawals and opt-outs, oldest first' }),
    history: z.array(
      z.object({ eventId: z.string(), type: z.string(), words: z.string(), by: z.string(), occurredAt: ts }),
    ),
    releases: z.array(
      z.object({
        releaseId: z.string(),
        dataUserId: z.string(),
        dataUserName: z.string().optional(),
        dataUserCategory: z.enum(DATA_USER_CATEGORIES).optional(),
        jurisdiction: z.enum(JURISDICTIONS).optional(),
        approvalReference: z.string().optional().meta({ description: 'The approval the release was made under' }),
        purpose: z.enum(PURPOSES),
        dataCategories: z.array(z.enum(DATA_CATEGORIES)),
        occurredAt: ts,
      }),
    ),
    withdrawals: z.array(
      z.object({
        eventId: z.string(),
        occurredAt: ts,
        status: z.enum(WITHDRAWAL_PROGRESS),
        holders: z.array(Holder),
      }),
    ),
    reads: z.array(
      z.object({
        at: ts,
        reader: z.string().meta({ description: 'The organisation or role that read the record' }),
        role: z.string(),
        what: z.enum(READ_WHATS),
        why: z.enum(READ_REASONS),
      }),
    ),
  })
  .meta({ id: 'SubjectTransparency', description: "A person's own view of their record" });
export type SubjectTransparency = z.infer<typeof SubjectTransparency>;

export interface TransparencyInput {
  readonly state: SubjectState;
  /** The registry's records of the data users named in the state (absent: not registered). */
  readonly dataUsers: ReadonlyMap<string, DataUserRecord>;
  readonly reads: readonly RecordRead[];
  readonly policies: PolicySet;
  readonly now: string;
}

const PURPOSE_WORDS: Record<(typeof PURPOSES)[number], string> = {
  research: 'research',
  'ai-training': 'training AI',
  'ai-validation': 'testing AI',
  'service-planning': 'planning health services',
  'product-development': 'developing products',
};
const list = (d: '*' | readonly string[], all: string, words: (v: string) => string = (v) => v) =>
  d === ANY ? all : d.map(words).join(', ');
const scopeWords = (s: Scope) =>
  `${list(s.purposes, 'any purpose', (p) => PURPOSE_WORDS[p as keyof typeof PURPOSE_WORDS])} ` +
  `(data: ${list(s.dataCategories, 'all kinds')}; users: ${list(s.dataUserCategories, 'all kinds')}; ` +
  `where: ${list(s.jurisdictions, 'anywhere')})`;
const first = <V extends string>(d: '*' | readonly V[], all: readonly V[]): V => (d === ANY ? all[0]! : d[0]!);

const CONSENT_STATUS_WORDS = {
  'cooling-off': 'waiting: it takes effect after a cooling-off period',
  'awaiting-reconfirmation': 'waiting for you to confirm it',
  effective: 'in effect',
  cancelled: 'cancelled',
  lapsed: 'lapsed: it was not confirmed in time',
  expired: 'expired',
} as const;

export const HOLDER_WORDS: Record<(typeof HOLDER_PROGRESS)[number], string> = {
  'awaiting-acknowledgement': 'told; has not answered yet',
  overdue: 'told; has not answered in time (overdue)',
  'attested-deleted': 'told; says it deleted your data',
  'retained-with-basis': 'told; says it keeps some data under a legal basis',
  'acknowledged-without-attestation': 'told; confirmed it received the notice, but did not say what it did',
};

const EVENT_WORDS: Record<string, string> = {
  'consent.given': 'Consent given',
  'consent.effective': 'Consent took effect',
  'consent.reconfirmed': 'Consent confirmed',
  'consent.cancelled': 'Consent cancelled',
  'consent.lapsed': 'Consent lapsed',
  'consent.expired': 'Consent expired',
  'consent.withdrawn': 'Consent withdrawn',
  'optout.registered': 'Opt-out registered',
  'optout.revoked': 'Opt-out ended',
  'release.recorded': 'Data released',
  'revocation.sent': 'A holder of your data was told of your withdrawal',
  'revocation.acknowledged': 'A holder answered the withdrawal notice',
  'revocation.overdue': 'A holder did not answer in time',
  'withdrawal.completed': 'Withdrawal completed',
};

function choice(f: Fact, input: TransparencyInput): z.infer<typeof Choice> {
  const use = {
    purpose: first(f.scope.purposes, PURPOSES),
    dataCategory: first(f.scope.dataCategories, DATA_CATEGORIES),
    dataUserCategory: first(f.scope.dataUserCategories, DATA_USER_CATEGORIES),
    jurisdiction: first(f.scope.jurisdictions, JURISDICTIONS),
  };
  const d = consentDecision(input.state, use, input.policies, input.now);
  const verb = {
    consent: 'agreed to the use of your data for',
    withdrawal: 'withdrew consent for',
    'opt-out': 'opted out of',
  };
  const by = ROLE_WORDS[f.expressedBy?.role ?? 'person'];
  const what = f.kind === 'opt-out' && f.national ? 'all uses (national data opt-out)' : scopeWords(f.scope);
  const status =
    f.kind === 'consent'
      ? CONSENT_STATUS_WORDS[f.status]
      : f.kind === 'opt-out'
        ? f.revoked
          ? 'ended'
          : 'in effect'
        : 'in effect';
  return {
    eventId: f.eventId,
    kind: f.kind,
    occurredAt: f.occurredAt,
    expressedBy: by,
    summary: `${by.charAt(0).toUpperCase()}${by.slice(1)} ${verb[f.kind]} ${what}`,
    status,
    now: { ...use, decision: d.decision, reasons: d.reasons.map((r) => ({ code: r.code, message: r.message })) },
  };
}

function withdrawal(w: WithdrawalFact, input: TransparencyInput) {
  const p = w.propagation;
  const holders = p.notified.map((dataUserId) => {
    const attestation: Attestation | undefined = p.attestations?.[dataUserId];
    const status = holderProgress(
      {
        dueBy: p.dueBy[dataUserId],
        acknowledged: p.acknowledged.includes(dataUserId),
        attestation,
        overdueRecorded: p.overdue.includes(dataUserId),
      },
      input.now,
    );
    const name = input.dataUsers.get(dataUserId)?.name;
    const dueBy = p.dueBy[dataUserId];
    return {
      dataUserId,
      ...(name !== undefined && { name }),
      status,
      statusWords: HOLDER_WORDS[status],
      ...(dueBy !== undefined && { dueBy }),
      ...(attestation !== undefined && { attestation }),
    };
  });
  const completed = p.completed !== undefined;
  return {
    eventId: w.eventId,
    occurredAt: w.occurredAt,
    // The fold knows the holders once a notice went out (or the withdrawal completed without any).
    status: withdrawalProgress(
      { holdersKnown: completed || holders.length > 0, completed },
      holders.map((h) => h.status),
    ),
    holders,
  };
}

export function subjectTransparency(input: TransparencyInput): SubjectTransparency {
  const { state } = input;
  return {
    subject: state.subject ?? '',
    asOf: input.now,
    choices: state.facts.map((f) => choice(f, input)),
    history: state.records.map(({ event }) => ({
      eventId: event.id,
      type: event.type,
      words: EVENT_WORDS[event.type] ?? event.type,
      by: event.source,
      occurredAt: event.data.occurredAt,
    })),
    releases: state.releases.map((r) => {
      const du = input.dataUsers.get(r.dataUserId);
      // The approval for the release's purpose that was in force when the release happened.
      const approval = du?.approvals.find((a) => a.purpose === r.purpose && compareUtc(r.occurredAt, a.expiresAt) < 0);
      return {
        releaseId: r.releaseId,
        dataUserId: r.dataUserId,
        ...(du && { dataUserName: du.name, dataUserCategory: du.category, jurisdiction: du.jurisdiction }),
        ...(approval && { approvalReference: approval.reference }),
        purpose: r.purpose,
        dataCategories: [...r.dataCategories],
        occurredAt: r.occurredAt,
      };
    }),
    withdrawals: state.facts.flatMap((f) => (f.kind === 'withdrawal' ? [withdrawal(f, input)] : [])),
    reads: input.reads.map((r) => ({ at: r.at, reader: r.reader, role: r.role, what: r.what, why: r.why })),
  };
}

/** The data users a view needs the registry's records of. */
export function dataUsersNamed(state: SubjectState): string[] {
  const ids = new Set(state.releases.map((r) => r.dataUserId));
  for (const f of state.facts) if (f.kind === 'withdrawal') for (const d of f.propagation.notified) ids.add(d);
  return [...ids];
}
