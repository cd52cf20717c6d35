// Two sealers started on purpose against one ledger, in different consumer groups so that BOTH follow
// every partition and race to extend every chain, while events keep arriving; one of them is frozen
// (SIGSTOP) mid-way and thawed after the other went on, a zombie with a stale chain head. The broker
// fences all but the latest claim of each partition: one chain per partition, and `audit verify` clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { testEnv, runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import { createTestTopics, type TestTopics } from '../../test/harness/topics.js';
import { sealerKeys, waitSealed, writeEvents } from '../../test/harness/auditLedger.js';
import { createKafka } from '../../adapters/kafka.js';
import { given, withdrawn, day } from '../../contracts/consent/fixtures.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { readCheckpoints } from '../../ledger/checkpoints.js';
import { verifyLedger } from '../audit/verify.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `sealer-race-${runId}` });
const keys = sealerKeys();
const ports = [18600, 18601];
let topics: TestTopics;
const sealers: RunningService[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROUNDS = 14;

const round = (k: number): LedgerEvent[] =>
  Array.from({ length: 24 }, (_, i) => {
    const subject = `sub_sealerRace${runId}_${i}`;
    return k % 2 === 0
      ? given(`${subject}.r${k}`, day(k), { subject })
      : withdrawn(`${subject}.r${k}`, day(k), { subject });
  });

describe('two sealers on one ledger', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `sealer-race-${runId}`);
  });
  afterAll(async () => {
    for (const s of sealers) {
      s.proc.kill('SIGCONT');
      await s.kill();
    }
  });

  it('race for every partition, one frozen and thawed as a zombie: one chain each, verify clean', async () => {
    await writeEvents(kafka, topics.names.ledger, round(0));
    const start = (i: number) =>
      startService(
        'sealer',
        {
          ...topics.env,
          SEALER_PORT: String(ports[i]),
          SEALER_SIGNING_KEY: keys.signingKeyBase64,
          SEALER_EVERY_RECORDS: '5',
          SEALER_EVERY_MS: '200',
          // Different groups: each is assigned every partition, so both try to seal everything.
          SEALER_GROUP: `sealer-race-${runId}-${i}`,
        },
        ports[i]!,
        `sealer-race-${runId}-${i}`,
      );
    sealers.push(...(await Promise.all([start(0), start(1)])));
    // Over more than FENCED_BACKOFF_MS, so the one fenced out first claims back in its turn.
    for (let k = 1; k <= ROUNDS; k++) {
      await writeEvents(kafka, topics.names.ledger, round(k));
      if (k === 3) sealers[0]!.proc.kill('SIGSTOP'); // frozen with open segments and a chain head…
      if (k === 6) sealers[0]!.proc.kill('SIGCONT'); // …that the other sealer may have moved past meanwhile
      await sleep(1000);
    }
    await waitSealed(kafka, topics.names.ledger, topics.names.checkpoints, 60_000);
    await sleep(1500); // let the last cuts of both settle

    const log = await readCheckpoints(kafka, topics.names.checkpoints, topics.names.ledger);
    expect(log.problems).toEqual([]);
    for (const [, list] of log.byPartition) {
      // One chain: each sequence once, in order, each range starting right after the previous one.
      expect(list.map((c) => c.sequence)).toEqual(list.map((_, i) => i));
      expect(list.map((c) => c.fromOffset)).toEqual(
        list.map((_, i) => (i === 0 ? '0' : String(BigInt(list[i - 1]!.toOffset) + 1n))),
      );
    }
    const report = await verifyLedger(kafka, {
      ledgerTopic: topics.names.ledger,
      checkpointsTopic: topics.names.checkpoints,
      trustedKey: keys.publicKey,
    });
    expect(report.problems).toEqual([]);
    const records = (ROUNDS + 1) * 24;
    expect(report).toMatchObject({ ok: true, totals: { records, sealedRecords: records, unsealed: 0 } });

    // Neither died of being fenced (in its claim or its publish): a fenced sealer backs off, it does not crash.
    for (const s of sealers)
      expect({ exitCode: s.proc.exitCode, signal: s.proc.signalCode }).toEqual({ exitCode: null, signal: null });
    // They really raced: both published checkpoints, and fenced ones were refused by the broker.
    const lines = sealers.map((s) => readFileSync(s.logFile, 'utf8'));
    for (const l of lines) expect(l).toContain('checkpoint published');
    expect(lines.join('\n')).toContain('another sealer claimed this partition');
  }, 180_000); // rounds of a second each, then up to 60 s for the last checkpoints
});
