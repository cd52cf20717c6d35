// Test support for the audit tests: write events onto a test ledger topic, wait for the sealer, and copy
// a ledger (or checkpoints) topic into a fresh one with one deliberate change — the tampering an
// auditor must catch.
import { generateKeyPairSync } from 'node:crypto';
import { ensureTopics, createIdempotentProducer, partitionCount, type Kafka } from '../../adapters/kafka.js';
import { LedgerWriter } from '../../ledger/writer.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { readTopic, type ReadRecord } from './ledger.js';
import { readCheckpoints } from '../../ledger/checkpoints.js';
import { partitionRanges } from '../../ledger/scan.js';

export function sealerKeys() {
  const k = generateKeyPairSync('ed25519');
  return {
    ...k,
    signingKeyBase64: k.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    publicKeyBase64: k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export async function writeEvents(kafka: Kafka, topic: string, events: LedgerEvent[]) {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    const writer = new LedgerWriter(producer, { topic, partitions: await partitionCount(kafka, topic) });
    return await writer.appendAll(events);
  } finally {
    await producer.disconnect();
  }
}

/** Resolves once every record now on `ledgerTopic` is covered by a checkpoint. */
export async function waitSealed(
  kafka: Kafka,
  ledgerTopic: string,
  checkpointsTopic: string,
  timeoutMs = 30_000,
): Promise<void> {
  const ranges = await partitionRanges(kafka, ledgerTopic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await readCheckpoints(kafka, checkpointsTopic, ledgerTopic);
    const sealed = (p: number) => {
      const l = log.byPartition.get(p);
      return l?.length ? BigInt(l[l.length - 1]!.toOffset) + 1n : 0n;
    };
    if (ranges.every((r) => sealed(r.partition) >= r.high)) return;
    if (Date.now() > deadline) throw new Error('the sealer did not seal the ledger in time');
    await new Promise((r) => setTimeout(r, 300));
  }
}

export type PartitionEdit = (records: ReadRecord[]) => ReadRecord[];

/** Copy `source` into a new topic `target` (same partition count), record by record in offset order,
 *  with `edit` applied to the records of `partition`. */
export async function copyTopic(
  kafka: Kafka,
  source: string,
  target: string,
  partition: number,
  edit: PartitionEdit,
): Promise<void> {
  const partitions = await partitionCount(kafka, source);
  await ensureTopics(kafka, [
    { topic: target, numPartitions: partitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
  ]);
  const all = await readTopic(kafka, source);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    for (let p = 0; p < partitions; p++) {
      let records = all.filter((r) => r.partition === p).sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      if (p === partition) records = edit(records);
      if (records.length === 0) continue;
      await producer.send({
        topic: target,
        acks: -1,
        messages: records.map((r) => ({
          partition: p,
          key: r.key ?? null,
          value: r.value,
          headers: r.headers as Record<string, Buffer>,
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
