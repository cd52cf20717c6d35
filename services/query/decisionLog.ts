// The decision log: every answered decision as one Kafka record on DECISIONS_TOPIC, for auditors
// (who asked, about whom, for what, the answer, the ledger events it rested on).
//
// Choice: a decision is returned only after its log record was acknowledged (acks=all). An answer
// that is not on the log would be a use of data nobody can audit, so the log write failing → 503.
// The cost is shared: concurrent requests' records go out together in one produce call; up to
// MAX_IN_FLIGHT calls run at once. A record
// duplicated by a producer retry is harmless (each carries its decisionId).
//
// Cohort filters write ONE record per call (counts and a sha256 of the cohort as streamed), not one
// per subject: a 1,000,000-subject filter must not flood the log. The per-subject answers are
// reproducible from the ledger (same fold, recorded up to the logged high-water marks).
import { DomainError } from '../../contracts/domainError.js';
import type { Producer } from '../../adapters/kafka.js';
import type { ReasonCode } from '../../contracts/consent/decide.js';

export interface DecisionRecord {
  kind: 'decision';
  decisionId: string;
  at: string;
  dataUserId: string;
  subject: string;
  purpose: string;
  dataCategory: string;
  decision: 'permit' | 'deny';
  reasons: ReasonCode[];
  eventIds: readonly string[];
  policyVersion: string;
  /** Present when the decision was asked as of a past instant. */
  asOf?: string;
}

export interface FilterRecord {
  kind: 'filter';
  decisionId: string;
  at: string;
  dataUserId: string;
  purpose: string;
  dataCategory: string;
  cohortSize: number;
  permitted: number;
  denied: number;
  /** sha256 over the subject ids in the order sent, each followed by "\n". */
  cohortSha256: string;
  policyVersion: string;
  /** The ledger high-water marks the answers were taken at (partition → offset). */
  ledgerMarks: Record<string, string>;
}

export type DecisionLogRecord = DecisionRecord | FilterRecord;

// One round trip at a time by default: on the shared 2-core test machine, 4 in flight measured
// slower (more Kafka requests competing for the same CPU); raise it against a real cluster.
const MAX_IN_FLIGHT = 1;
const MAX_BATCH = 500;

interface Waiting {
  record: DecisionLogRecord;
  resolve(): void;
  reject(e: unknown): void;
}

export class DecisionLog {
  private queue: Waiting[] = [];
  private inFlight = 0;

  /** `producer`: adapters/kafka.ts createLogProducer (several sends in flight). */
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /** Resolves once the record is durably on the log; otherwise 503 (the answer must not be given). */
  async record(r: DecisionLogRecord): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        this.queue.push({ record: r, resolve, reject });
        this.pump();
      });
    } catch {
      throw new DomainError(
        'unavailable',
        'the decision log (Kafka) did not acknowledge the record; no answer is given without it',
      );
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      this.producer
        .send({
          topic: this.topic,
          acks: -1,
          messages: batch.map(({ record: r }) => ({
            // Decisions are keyed by subject (TOPIC_KEYS.decisions); a filter has no single subject.
            key: r.kind === 'decision' ? r.subject : r.dataUserId,
            value: JSON.stringify(r),
            headers: { 'content-type': 'application/json', kind: r.kind },
          })),
        })
        .then(
          () => {
            for (const w of batch) w.resolve();
          },
          (e: unknown) => {
            for (const w of batch) w.reject(e);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
