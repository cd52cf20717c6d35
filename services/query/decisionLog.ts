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
import { decisionLogEvent, type DecisionLogRecord } from '../../contracts/topicEvents.js';
import { structuredModeHeaders } from '../../contracts/topics.js';

export type { DecisionLogRecord, DecisionRecord, FilterRecord } from '../../contracts/topicEvents.js';

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
            // A structured-mode CloudEvent (contracts/topicEvents.ts), like every record another party reads.
            key: r.kind === 'decision' ? r.subject : r.dataUserId,
            value: JSON.stringify(decisionLogEvent(r)),
            headers: structuredModeHeaders(),
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
