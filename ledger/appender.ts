// How a service gets onto the ledger: one idempotent producer, the writer, and the receipt store
// wired to each other. Ingest, the query service (data-user registry, releases) and the worker all
// open it the same way, so late writes, resends and claim take-overs behave the same everywhere.
import type { Db } from '../adapters/mongo.js';
import { createIdempotentProducer, type Kafka } from '../adapters/kafka.js';
import { errorMessage, type Logger } from '../adapters/logger.js';
import { LedgerWriter } from './writer.js';
import { ReceiptStore, type StoreOutage } from './receipts.js';
import type { LedgerAppender } from './appendOnce.js';
import { recordedSinceOn } from './recordedSince.js';

export interface LedgerAppenderSettings {
  kafka: Kafka;
  db: Db;
  /** Unique per process: claims of this owner are never taken over while its writer still sends them. */
  owner: string;
  topic: string;
  partitions: number;
  deadlineMs?: number;
  log: Logger;
  /** What a new write gets while MongoDB is unreachable (ledger/receipts.ts); default 'refuse'. */
  storeOutage?: StoreOutage;
}

const CLAIM_TOUCH_EVERY_MS = 10_000;

export async function openLedgerAppender(
  s: LedgerAppenderSettings,
): Promise<LedgerAppender & { close(): Promise<void> }> {
  const connected = async () => {
    const p = createIdempotentProducer(s.kafka);
    await p.connect();
    return p;
  };
  let lastTouch = 0;
  const receipts: ReceiptStore = new ReceiptStore(s.db, s.owner, {
    isWriting: (id) => writer.isWriting(id),
    findRecorded: recordedSinceOn(s.kafka, s.topic, s.partitions),
    ...(s.storeOutage && { storeOutage: s.storeOutage }),
    onReusedId: (eventId) =>
      s.log.error(
        { eventId },
        'an event id accepted during a database outage had been used before for other content: readers keep the first',
      ),
  });
  const writer: LedgerWriter = new LedgerWriter(await connected(), {
    topic: s.topic,
    partitions: s.partitions,
    deadlineMs: s.deadlineMs,
    freshProducer: connected,
    // A write Kafka acknowledged after we answered 503: record it so the client's retry gets its receipt.
    onLateWrite: (p, event) => {
      s.log.warn(
        { eventId: p.eventId, partition: p.partition, offset: p.offset },
        'ledger write acknowledged after its deadline',
      );
      receipts
        .complete([{ position: p, event }])
        .catch((err: unknown) =>
          s.log.error({ eventId: p.eventId, err: errorMessage(err) }, 'could not record a late receipt'),
        );
    },
    onResend: ({ attempt, failure, reason, eventIds }) => {
      s.log.warn(
        { attempt, failure, reason, events: eventIds.length },
        'ledger write unanswered; resending the same batch',
      );
      if (Date.now() - lastTouch < CLAIM_TOUCH_EVERY_MS) return;
      lastTouch = Date.now();
      receipts.touch(eventIds).catch(() => undefined);
    },
  });
  return { writer, receipts, close: () => writer.close() };
}
