// Revocation notices from the Kafka topic consent.revocations.v1, the pull alternative to webhooks.
// Each record is a structured-mode CloudEvent (`content-type: application/cloudevents+json`), decoded
// here with the CloudEvents SDK's Kafka binding: type `revocation.notice`, dataschema
// `urn:consent-ledger:data:revocation.notice:v1`, data = the RevocationNotice of the query API. Records are
// keyed by data user; a consumer yields only its own data user's notices.
//
// Delivery is at least once: a notice's offset is committed only when the loop asks for the next one
// (its handling is done), so a crash, a rebalance or leaving the loop may hand the last one over again;
// re-publishing after a crash repeats a notice too. Handle by `notice.noticeId` idempotently. A record
// this client cannot read (another type or schema version) stops the loop with UnreadableNotice rather
// than skipping what may be a request to delete data: upgrade the client.
import { Kafka as CloudEventsKafka, type KafkaMessage as CloudEventsKafkaMessage } from 'cloudevents';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { RevocationNotice } from './apis.js';

export const REVOCATIONS_TOPIC = 'consent.revocations.v1';
export const NOTICE_TYPE = 'revocation.notice';
export const NOTICE_DATASCHEMA = 'urn:consent-ledger:data:revocation.notice:v1';
/** How often a consumer whose loop is still busy with a notice tells the group it is alive. */
const HEARTBEAT_MS = 3000;

export interface RevocationConsumerOptions {
  /** A kafkajs client configured for your brokers (TLS, SASL) */
  kafka: Kafka;
  /** Your consumer group: its committed offsets are how far your data user has handled notices. */
  groupId: string;
  dataUserId: string;
  topic?: string;
  /** Where a new group starts: every notice still on the topic (default) or only new ones. */
  fromBeginning?: boolean;
}

export interface ReceivedNotice {
  notice: RevocationNotice;
  /** The CloudEvent's id (= noticeId) and time (when the notice was sent). */
  eventId: string;
  time: string;
  partition: number;
  offset: string;
}

export class UnreadableNotice extends Error {
  override readonly name = 'UnreadableNotice';
}

type Slot = { kind: 'notice'; item: ReceivedNotice } | { kind: 'failure'; error: unknown };
interface Pending {
  slot: Slot;
  /** Ends the record's eachMessage: commit = it was handled. */
  settle(commit: boolean): void;
}

/** Decodes one record; undefined for another data user's notice. */
export function decodeNotice(
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
  dataUserId: string,
): RevocationNotice | undefined {
  if (message.key?.toString() !== dataUserId) return undefined;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {}))
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  const value = message.value?.toString() ?? '';
  let event;
  try {
    const record: CloudEventsKafkaMessage<string> = { headers, key: dataUserId, value, body: value };
    event = CloudEventsKafka.toEvent(record);
  } catch (e) {
    throw new UnreadableNotice(`not a CloudEvent: ${e instanceof Error ? e.message : 'undecodable'}`);
  }
  if (Array.isArray(event)) throw new UnreadableNotice('a batch of CloudEvents where one notice was expected');
  if (event.type !== NOTICE_TYPE || event.dataschema !== NOTICE_DATASCHEMA)
    throw new UnreadableNotice(
      `unknown event ${event.type} (${event.dataschema ?? 'no dataschema'}): upgrade the client`,
    );
  const notice = event.data as Partial<RevocationNotice> | undefined;
  for (const field of ['noticeId', 'withdrawalId', 'subject', 'dataUserId', 'acknowledgePath', 'dueBy'] as const)
    if (typeof notice?.[field] !== 'string') throw new UnreadableNotice(`revocation notice without ${field}`);
  return notice!.dataUserId === dataUserId ? (notice as RevocationNotice) : undefined;
}

export class RevocationConsumer {
  private readonly consumer: Consumer;
  private readonly queue: Pending[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: RevocationConsumerOptions) {
    this.consumer = options.kafka.consumer({ groupId: options.groupId });
  }

  /** The data user's notices, in order per partition, until close() or a `break` out of the loop. */
  async *notices(): AsyncGenerator<ReceivedNotice, void, undefined> {
    const topic = this.options.topic ?? REVOCATIONS_TOPIC;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({ autoCommit: false, eachMessage: (p) => this.take(p) });
    let current: Pending | undefined;
    try {
      for (;;) {
        while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
        if (this.closed) return;
        current = this.queue.shift()!;
        if (current.slot.kind === 'failure') throw current.slot.error;
        yield current.slot.item;
        current.settle(true);
        current = undefined;
      }
    } finally {
      current?.settle(false);
      for (const p of this.queue.splice(0)) p.settle(false);
      await this.consumer.disconnect();
    }
  }

  /** Ends the loop (the notice being handled is not committed). */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }

  private async take({
    topic,
    partition,
    message,
    heartbeat,
  }: {
    topic: string;
    partition: number;
    message: KafkaMessage;
    heartbeat: () => Promise<void>;
  }): Promise<void> {
    let slot: Slot;
    try {
      const notice = decodeNotice(message, this.options.dataUserId);
      if (!notice) return; // another data user's: committed with the next own notice of the partition
      slot = {
        kind: 'notice',
        item: { notice, eventId: notice.noticeId, time: notice.sentAt, partition, offset: message.offset },
      };
    } catch (error) {
      slot = { kind: 'failure', error };
    }
    const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_MS);
    try {
      const commit = await new Promise<boolean>((settle) => {
        this.queue.push({ slot, settle });
        this.wake?.();
      });
      if (commit)
        await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    } finally {
      clearInterval(beat);
    }
  }
}
