// The writer's answer to a send whose outcome is unknown. No broker here: a scripted producer answers
// each send call, so the test can see exactly which batches the writer hands to Kafka and in what order.
// (test/faults/kafkaKill.faults.spec.ts checks the same promise against a real broker being killed.)
import { describe, expect, it } from 'vitest';
import type { Producer, RecordMetadata } from '../adapters/kafka.js';
import { given } from '../contracts/consent/fixtures.js';
import { LedgerUnavailable, LedgerWriter } from './writer.js';

type Answer = (ids: string[]) => Promise<RecordMetadata[]>;

/** A producer whose n-th send gets the n-th scripted answer; it records the event ids of each send. */
function scriptedProducer(answers: Answer[]) {
  const sends: string[][] = [];
  let disconnected = false;
  const producer = {
    send: async ({ messages }: { messages: { value: Buffer }[] }) => {
      const ids = messages.map((m) => (JSON.parse(m.value.toString('utf8')) as { id: string }).id);
      sends.push(ids);
      const answer = answers.shift();
      if (!answer) throw new Error('unexpected send');
      return answer(ids);
    },
    disconnect: async () => {
      disconnected = true;
    },
  } as unknown as Producer;
  return { producer, sends, isDisconnected: () => disconnected };
}

const ok =
  (baseOffset: number): Answer =>
  async () => [{ topicName: 'ledger', partition: 0, errorCode: 0, baseOffset: String(baseOffset) }];
const lostConnection = (): Answer => async () => {
  throw Object.assign(new Error('Connection closed'), { name: 'KafkaJSNumberOfRetriesExceeded' });
};
const protocolError =
  (type: string, retriable: boolean): Answer =>
  async () => {
    const cause = Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable });
    throw Object.assign(new Error(type), { name: 'KafkaJSNonRetriableError', cause });
  };
const slow =
  (ms: number, then: Answer): Answer =>
  async (ids) => {
    await new Promise((r) => setTimeout(r, ms));
    return then(ids);
  };
const event = (id: string) => given(id, 0);

describe('LedgerWriter when the broker does not answer', () => {
  it('resends the very same batch, sends nothing else meanwhile, and reports the late write', async () => {
    const { producer, sends } = scriptedProducer([slow(120, lostConnection()), ok(40)]);
    const late: string[] = [];
    const writer = new LedgerWriter(producer, {
      partitions: 1,
      deadlineMs: 60,
      onLateWrite: (p) => late.push(`${p.eventId}@${p.offset}`),
    });

    const first = writer.appendAll([event('e-1'), event('e-2')]);
    await new Promise((r) => setTimeout(r, 10)); // e-1, e-2 are in the send
    const queued = writer.append(event('e-3')); // queued behind the unanswered send

    const err1 = await first.catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(LedgerUnavailable);
    expect((err1 as LedgerUnavailable).unwritten).toEqual([]); // sent: it may be on the ledger
    expect(writer.isWriting('e-1')).toBe(true);
    const err3 = await queued.catch((e: unknown) => e);
    expect((err3 as LedgerUnavailable).unwritten).toEqual(['e-3']); // never handed to Kafka

    await writer.drain();
    expect(sends).toEqual([
      ['e-1', 'e-2'],
      ['e-1', 'e-2'],
    ]);
    expect(late).toEqual(['e-1@40', 'e-2@41']);
    expect(writer.isWriting('e-1')).toBe(false);
  });

  it('answers the callers when the resend succeeds within their deadline', async () => {
    const { producer, sends } = scriptedProducer([lostConnection(), ok(7)]);
    const writer = new LedgerWriter(producer, { partitions: 1, deadlineMs: 5000 });
    const [p] = await writer.appendAll([event('e-1')]);
    expect(p!.offset).toBe('7');
    expect(sends).toEqual([['e-1'], ['e-1']]);
  });

  it('takes a fresh producer when the broker no longer knows this one, and resends the batch with it', async () => {
    const old = scriptedProducer([protocolError('UNKNOWN_PRODUCER_ID', false)]);
    const fresh = scriptedProducer([ok(3)]);
    const writer = new LedgerWriter(old.producer, {
      partitions: 1,
      deadlineMs: 5000,
      freshProducer: async () => fresh.producer,
    });
    const [p] = await writer.appendAll([event('e-1')]);
    expect(p!.offset).toBe('3');
    expect(old.isDisconnected()).toBe(true);
    expect(fresh.sends).toEqual([['e-1']]);
  });

  it('fails a refused batch as unwritten and sends the next one with a fresh producer', async () => {
    const old = scriptedProducer([protocolError('MESSAGE_TOO_LARGE', false)]);
    const fresh = scriptedProducer([ok(0)]);
    const writer = new LedgerWriter(old.producer, {
      partitions: 1,
      deadlineMs: 5000,
      freshProducer: async () => fresh.producer,
    });
    const err = await writer.append(event('e-1')).catch((e: unknown) => e);
    expect((err as LedgerUnavailable).unwritten).toEqual(['e-1']);
    await writer.append(event('e-2'));
    expect(old.sends).toEqual([['e-1']]);
    expect(fresh.sends).toEqual([['e-2']]);
  });
});
