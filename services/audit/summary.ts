// audit state / withdrawals and the numbers behind the report — all read from the ledger with the
// shared fold (contracts/consent/fold.ts); nothing here interprets an event by itself.
import type { Kafka } from '../../adapters/kafka.js';
import type { Attestation } from '../../contracts/consent/attestation.js';
import { stateAsOf, type SubjectState, type WithdrawalFact } from '../../contracts/consent/fold.js';
import { releasesAfterRefusal, type HolderProfile, type ReleaseAfterRefusal } from '../../contracts/consent/holders.js';
import { comparePosition, type PositionedEvent } from '../../contracts/consent/order.js';
import type { PolicySet } from '../../contracts/consent/policy.js';
import {
  holderProgress,
  withdrawalProgress,
  type HolderProgress,
  type WithdrawalProgress,
} from '../../contracts/consent/lifecycle.js';
import { compareUtc } from '../../contracts/consent/primitives.js';
import { releaseNoticeIdFor } from '../../workflows/activities/ids.js';
import { foldLedger, type FoldPassOptions } from './foldPass.js';

type PassOptions = Omit<FoldPassOptions, 'onSubjects' | 'onEvent' | 'key' | 'partition'>;

export interface StateAsOfReport {
  subject: string;
  asOf: string;
  state: SubjectState;
  /** The events the state rests on (recorded up to asOf), in fold order. */
  events: {
    id: string;
    type: string;
    source: string;
    occurredAt: string;
    recordedAt: string;
    partition: number;
    offset: string;
  }[];
}

/** What the system knew about `subject` at `asOf`: the same stateAsOf the query API uses. */
export async function subjectAsOf(
  kafka: Kafka,
  o: PassOptions & { subject: string; asOf: string },
): Promise<StateAsOfReport> {
  const records: PositionedEvent[] = [];
  await foldLedger(kafka, {
    ...o,
    key: o.subject,
    maxEventsInMemory: Number.MAX_SAFE_INTEGER,
    onEvent: (r) => {
      if (r.event.subject === o.subject)
        records.push({ event: r.event, position: { partition: r.partition, offset: r.offset } });
    },
    onSubjects: () => {},
  });
  const state = stateAsOf(records, o.asOf);
  return {
    subject: o.subject,
    asOf: o.asOf,
    state,
    events: state.records.map((r) => ({
      id: r.event.id,
      type: r.event.type,
      source: r.event.source,
      occurredAt: r.event.data.occurredAt,
      recordedAt: r.event.recordedtime,
      partition: r.position.partition,
      offset: r.position.offset,
    })),
  };
}

export interface WithdrawalReport {
  withdrawalId: string;
  subject: string;
  occurredAt: string;
  recordedAt: string;
  /** As of the audit (lifecycle withdrawalProgress): holders not yet known, propagating, overdue, completed. */
  status: WithdrawalProgress;
  /** status: awaiting, overdue, or what the acknowledgement attested (attestation, when it attested one). */
  holders: { dataUserId: string; status: HolderProgress; dueBy?: string; attestation?: Attestation }[];
  completedAt?: string;
  /** From the withdrawal (occurredAt) to withdrawal.completed, in hours. */
  propagationHours?: number;
}

/** One withdrawal as the ledger tells it, judged at `now` by the lifecycle's rules. */
export function withdrawalReport(subject: string, w: WithdrawalFact, now: string): WithdrawalReport {
  const p = w.propagation;
  const holders = p.notified.map((dataUserId) => {
    const dueBy = p.dueBy[dataUserId];
    const attestation = p.attestations?.[dataUserId];
    const steps = {
      dueBy,
      acknowledged: p.acknowledged.includes(dataUserId),
      attestation,
      overdueRecorded: p.overdue.includes(dataUserId),
    };
    return {
      dataUserId,
      status: holderProgress(steps, now),
      ...(dueBy !== undefined && { dueBy }),
      ...(attestation && { attestation }),
    };
  });
  // The ledger knows the holders once the first notice is sent (or the withdrawal completed without any).
  const holdersKnown = holders.length > 0 || p.completed !== undefined;
  const status = withdrawalProgress(
    { holdersKnown, completed: p.completed !== undefined },
    holders.map((h) => h.status),
  );
  return {
    withdrawalId: w.eventId,
    subject,
    occurredAt: w.occurredAt,
    recordedAt: w.recordedAt,
    status,
    holders,
    ...(p.completed
      ? {
          completedAt: p.completed.occurredAt,
          propagationHours: (Date.parse(p.completed.occurredAt) - Date.parse(w.occurredAt)) / 3_600_000,
        }
      : {}),
  };
}

/** A release recorded after a withdrawal or national opt-out covering it (contracts holders.ts). */
export interface ReleaseAfterRefusalReport {
  subject: string;
  releaseEventId: string;
  releaseId: string;
  dataUserId: string;
  /** The releasing organisation (the release event's source). */
  releasedBy: string;
  releaseOccurredAt: string;
  releaseRecordedAt: string;
  refusalId: string;
  refusalKind: ReleaseAfterRefusal['refusal']['kind'];
  refusalOccurredAt: string;
  /** Its own revocation notice to the data user, from the ledger, judged at `now` by the lifecycle. */
  notice: 'not-sent' | HolderProgress;
  dueBy?: string;
}

export function releaseAfterRefusalReport(
  state: SubjectState,
  v: ReleaseAfterRefusal,
  now: string,
): ReleaseAfterRefusalReport {
  const noticeId = releaseNoticeIdFor(v.release.eventId, v.release.dataUserId);
  const steps = state.records.flatMap((r) =>
    (r.event.type === 'revocation.sent' ||
      r.event.type === 'revocation.overdue' ||
      r.event.type === 'revocation.acknowledged') &&
    r.event.data.noticeId === noticeId
      ? [r.event]
      : [],
  );
  const sent = steps.find((e) => e.type === 'revocation.sent');
  const dueBy = sent?.type === 'revocation.sent' ? sent.data.dueBy : undefined;
  const notice = sent
    ? holderProgress(
        {
          dueBy,
          acknowledged: steps.some((e) => e.type === 'revocation.acknowledged'),
          overdueRecorded: steps.some((e) => e.type === 'revocation.overdue'),
        },
        now,
      )
    : 'not-sent';
  return {
    subject: state.subject!,
    releaseEventId: v.release.eventId,
    releaseId: v.release.releaseId,
    dataUserId: v.release.dataUserId,
    releasedBy: v.release.releasedBy,
    releaseOccurredAt: v.release.occurredAt,
    releaseRecordedAt: v.release.recordedAt,
    refusalId: v.refusal.eventId,
    refusalKind: v.refusal.kind,
    refusalOccurredAt: v.refusal.occurredAt,
    notice,
    ...(dueBy !== undefined && { dueBy }),
  };
}

/** Whether some release of the subject was recorded after one of its refusals (worth the full rule). */
function releaseFollowsRefusal(s: SubjectState): boolean {
  const refusals = s.records.filter(
    (r) => r.event.type === 'consent.withdrawn' || r.event.type === 'optout.registered',
  );
  return s.records.some(
    (r) => r.event.type === 'release.recorded' && refusals.some((f) => comparePosition(f.position, r.position) < 0),
  );
}

export interface LedgerSummary {
  ledgerTopic: string;
  records: number;
  poison: number;
  subjects: number;
  subjectsWithOptOut: number;
  subjectsWithWithdrawal: number;
  /** day (YYYY-MM-DD of the recorded time) → event type → count. */
  byDay: Record<string, Record<string, number>>;
  withdrawals: WithdrawalReport[];
  /** Releases recorded after a covering withdrawal or national opt-out (since `since`), in recording order. */
  releasesAfterRefusal: ReleaseAfterRefusalReport[];
}

/** One pass: counts by type and day, opt-out and withdrawal rates, every withdrawal and every release
 *  after refusal recorded since `since`. `policies`: every version the deployment applied (the
 *  release-after-refusal rule asks decide whether the ledger permitted a release when it was recorded). */
export async function summariseLedger(
  kafka: Kafka,
  o: PassOptions & { since?: string; /** judged as of (overdue) */ now: string; policies: PolicySet },
): Promise<LedgerSummary> {
  const byDay: Record<string, Record<string, number>> = {};
  const out: LedgerSummary = {
    ledgerTopic: o.ledgerTopic,
    records: 0,
    poison: 0,
    subjects: 0,
    subjectsWithOptOut: 0,
    subjectsWithWithdrawal: 0,
    byDay,
    withdrawals: [],
    releasesAfterRefusal: [],
  };
  // Data users live on their own partitions: the rule runs once every registration has been read,
  // on the few subjects where a release follows a refusal on the ledger.
  const profiles = new Map<string, HolderProfile>();
  const suspects: SubjectState[] = [];
  const summary = await foldLedger(kafka, {
    ...o,
    onEvent: ({ event }) => {
      if (event.type === 'dataUser.registered')
        profiles.set(event.data.dataUserId, { category: event.data.category, jurisdiction: event.data.jurisdiction });
      const day = event.recordedtime.slice(0, 10);
      const counts = (byDay[day] ??= {});
      counts[event.type] = (counts[event.type] ?? 0) + 1;
    },
    onSubjects: (states) => {
      for (const s of states) {
        out.subjects++;
        if (s.facts.some((f) => f.kind === 'opt-out')) out.subjectsWithOptOut++;
        if (s.facts.some((f) => f.kind === 'withdrawal')) out.subjectsWithWithdrawal++;
        for (const f of s.facts) {
          if (f.kind !== 'withdrawal') continue;
          if (o.since !== undefined && compareUtc(f.recordedAt, o.since) < 0) continue;
          out.withdrawals.push(withdrawalReport(s.subject!, f, o.now));
        }
        if (releaseFollowsRefusal(s)) suspects.push(s);
      }
    },
  });
  for (const s of suspects)
    for (const v of releasesAfterRefusal(s, (id) => profiles.get(id), o.policies))
      if (o.since === undefined || compareUtc(v.release.recordedAt, o.since) >= 0)
        out.releasesAfterRefusal.push(releaseAfterRefusalReport(s, v, o.now));
  out.releasesAfterRefusal.sort(
    (a, b) => compareUtc(a.releaseRecordedAt, b.releaseRecordedAt) || (a.releaseEventId < b.releaseEventId ? -1 : 1),
  );
  out.records = summary.records;
  out.poison = summary.poison;
  out.withdrawals.sort((a, b) => compareUtc(a.recordedAt, b.recordedAt) || (a.withdrawalId < b.withdrawalId ? -1 : 1));
  return out;
}
