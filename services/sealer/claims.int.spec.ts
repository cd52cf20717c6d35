// Two sealers claiming the same partitions at the same moment: each can be fenced during its own claim
// by the other's. That is no error (a sealer crashing on it left its partitions to one that may be
// gone): the partition is fencedOut for the loser, and exactly one of them can publish on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, runId } from '../../test/serverEnv.js';
import { createTestTopics, type TestTopics } from '../../test/harness/topics.js';
import { createKafka, isFenced } from '../../adapters/kafka.js';
import { PartitionClaims } from './claims.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `claims-${runId}` });
const partitions = Array.from({ length: 12 }, (_, i) => i);
let topics: TestTopics;
let sealers: PartitionClaims[] = [];

describe('claims racing', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `claims-${runId}`);
    const o = {
      ledgerTopic: topics.names.ledger,
      checkpointsTopic: topics.names.checkpoints,
      transactionTimeoutMs: 10_000,
    };
    sealers = [new PartitionClaims(kafka, o), new PartitionClaims(kafka, o)];
  });
  afterAll(async () => {
    await Promise.all(sealers.map((s) => s.close()));
  });

  it('a claim fenced by a simultaneous claim leaves the partition to the other; one of them publishes', async () => {
    let fencedOut = 0;
    for (let round = 0; round < 3; round++) {
      const claims = await Promise.all(sealers.map((s) => s.claim(partitions)));
      fencedOut += claims.reduce((n, c) => n + c.fencedOut.length, 0);
      for (const p of partitions) {
        // Each partition is claimed by at least one, and the loser of a race says so.
        expect(claims.some((c) => c.last.has(p))).toBe(true);
        for (const c of claims) expect(c.last.has(p)).toBe(!c.fencedOut.includes(p));
        const published = await Promise.allSettled(
          sealers.map((s, i) =>
            claims[i]!.last.has(p) ? s.publish(p, { round } as never) : Promise.reject(new Error('not claimed')),
          ),
        );
        expect(published.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const [i, r] of published.entries())
          if (r.status === 'rejected' && claims[i]!.last.has(p)) expect(isFenced(r.reason)).toBe(true);
        // The loser drops its fenced claim, as the follower does on a lost partition.
        for (const [i, r] of published.entries()) if (r.status === 'rejected') await sealers[i]!.release(p);
      }
    }
    // They really raced (the claims overlap: 12 partitions each, begun together).
    expect(fencedOut).toBeGreaterThan(0);
  });
});
