// Whether an event id is on the ledger, looked up on Kafka itself: for a claim whose writer vanished
// (a process killed between Kafka's ack and recording the receipt). Its claim alone cannot tell a
// write that landed from one that never left; only the ledger can. A subject's events live on one
// partition (keyed by subject), so the search reads that partition from the claim's time to its end:
// rare (only abandoned claims) and bounded by the traffic since the claim.
import { createHash } from 'node:crypto';
import { partitionForKey, type Kafka } from '../adapters/kafka.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { parseEvent } from '../contracts/consent/validate.js';
import { scanLegs } from './scan.js';
import type { LedgerPosition } from './writer.js';

export interface RecordedEvent {
  position: LedgerPosition;
  event: LedgerEvent;
}

/** Producers' clocks differ from the claimant's: search from a little before the claim. */
const CLOCK_MARGIN_MS = 60_000;

export type FindRecorded = (eventId: string, key: string, sinceMs: number) => Promise<RecordedEvent | undefined>;

export function recordedSinceOn(kafka: Kafka, topic: string, partitions: number): FindRecorded {
  return async (eventId, key, sinceMs) => {
    const partition = partitionForKey(key, partitions);
    const [from, to] = await searchRange(kafka, topic, partition, sinceMs - CLOCK_MARGIN_MS);
    const needle = Buffer.from(JSON.stringify(eventId));
    let found: RecordedEvent | undefined;
    await scanLegs(
      kafka,
      topic,
      [
        {
          partition,
          from,
          to,
          onRecords(records) {
            for (const r of records) {
              if (found || !r.value?.includes(needle)) continue;
              const parsed = parseEvent(JSON.parse(r.value.toString('utf8')));
              if (!parsed.ok || parsed.event.id !== eventId) continue;
              found = {
                event: parsed.event,
                position: {
                  eventId,
                  topic,
                  partition,
                  offset: r.offset,
                  hash: createHash('sha256').update(r.value).digest('hex'),
                  recordedAt: parsed.event.recordedtime,
                },
              };
            }
          },
        },
      ],
      { stallMs: 15_000 },
    );
    return found;
  };
}

/** [first offset written at or after `sinceMs`, end of the partition). */
async function searchRange(kafka: Kafka, topic: string, partition: number, sinceMs: number): Promise<[bigint, bigint]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [byTime, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
      admin.fetchTopicOffsets(topic),
    ]);
    const to = BigInt(ends.find((o) => o.partition === partition)?.high ?? '0');
    const at = BigInt(byTime.find((o) => o.partition === partition)?.offset ?? '-1');
    return [at < 0n ? to : at, to];
  } finally {
    await admin.disconnect();
  }
}
