// audit state / withdrawals and the numbers behind the report — all read from the ledger with the
// shared fold (contracts/consent/fold.ts); nothing here interprets an event by itself.
import type { Kafka } from '../../adapters/kafka.js';
import type { Attestation } from '../../contracts/consent/attestation.js';
import { stateAsOf, type SubjectState, type WithdrawalFact } from '../../contracts/consent/fold.js';
import type { PositionedEvent } from '../../contracts/consent/order.js';
import {
  holderProgress,
  withdrawalProgress,
  type HolderProgress,
  type WithdrawalProgress,
} from '../../contracts/consent/lifecycle.js';
import { compareUtc } from '../../contracts/consent/primitives.js';
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
      recordedAt: r.event.time,
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
}

/** One pass: counts by type and day, opt-out and withdrawal rates, every withdrawal recorded since `since`. */
export async function summariseLedger(
  kafka: Kafka,
  o: PassOptions & { since?: string; /** judged as of (overdue) */ now: string },
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
  };
  const summary = await foldLedger(kafka, {
    ...o,
    onEvent: ({ event }) => {
      const day = event.time.slice(0, 10);
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
      }
    },
  });
  out.records = summary.records;
  out.poison = summary.poison;
  out.withdrawals.sort((a, b) => compareUtc(a.recordedAt, b.recordedAt) || (a.withdrawalId < b.withdrawalId ? -1 : 1));
  return out;
}
