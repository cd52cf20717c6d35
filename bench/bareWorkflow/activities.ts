// The baseline's one activity: a plain kafkajs acks=all send of one record shaped and sized like the
// consent.effective the cooling-off writes (no appendOnce, no receipts, no projection check). The
// bench reads each record's ack time from `acked`: the Worker runs in the bench process.
import type { Producer } from '../../adapters/kafka.js';
import { systemEvent } from '../../workflows/activities/ledgerEvents.js';

export interface BareRecord {
  id: string;
  subject: string;
  /** The timer's instant (ms since the epoch). */
  endsAtMs: number;
}

export interface BareActivities {
  appendBareRecord(r: BareRecord): Promise<void>;
}

export function bareActivities(producer: Producer, topic: string, acked: Map<string, number>): BareActivities {
  return {
    async appendBareRecord(r) {
      const event = systemEvent(
        'consent.effective',
        r.id,
        r.subject,
        { occurredAt: new Date(r.endsAtMs).toISOString(), consentId: r.id, policyVersion: 'test-01' },
        new Date(),
      );
      await producer.send({ topic, acks: -1, messages: [{ key: r.subject, value: JSON.stringify(event) }] });
      // A retried attempt after a lost answer: the first ack counts.
      if (!acked.has(r.id)) acked.set(r.id, Date.now());
    },
  };
}
