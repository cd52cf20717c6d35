// Issue 4 acceptance: kill the projector (SIGKILL) while it applies a few thousand events, restart it,
// let it catch up — the final projection equals a fresh `rebuild`, document by document, and no event
// is applied twice. Then a rebuild switches over while the projector runs, and it follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { given } from '../../contracts/consent/fixtures.js';
import { projectionReader, type ProjectionReader } from '../../projections/reader.js';
import { activeGenerationName, withoutId } from '../../projections/generation.js';
import { stateFingerprint } from '../../contracts/consent/fingerprint.js';
import {
  caughtUp,
  endOffsets,
  generationDocuments,
  projectorTestBed,
  runRebuild,
  type ProjectorTestBed,
} from '../../test/harness/projector.js';
import { sampleLedger } from '../../test/harness/ledgerSample.js';

const port = 18201;
const tag = `projacc-${runId}`;
const prefix = `acc${runId}`;
const SUBJECTS = Number(process.env.PROJECTOR_ACCEPTANCE_SUBJECTS ?? 500);

describe('projector acceptance: crash mid-batch, restart, equal to a rebuild', () => {
  let bed: ProjectorTestBed;
  let projector: RunningService | undefined;
  let reader: ProjectionReader;
  let events: LedgerEvent[];

  beforeAll(async () => {
    bed = await projectorTestBed(tag, port);
    reader = projectionReader(bed.mongo.db);
    events = sampleLedger(prefix, 0, SUBJECTS);
    for (let i = 0; i < events.length; i += 1000) await bed.writer.appendAll(events.slice(i, i + 1000));
    // A few physical duplicates (a writer's retry after a crash between Kafka's ack and its receipt).
    await bed.writer.appendAll(events.filter((_, i) => i % 97 === 0));
  }, 120_000);
  afterAll(async () => {
    await projector?.stop();
    await bed?.close();
  });

  it('SIGKILL while applying, restart: the projection equals a fresh rebuild and holds every event exactly once', async () => {
    const total = [...(await endOffsets(bed.kafka, bed.topics.names.ledger)).values()].reduce((a, b) => a + b, 0n);
    projector = await startService('projector', bed.env, port, tag);
    let applied = 0n;
    for (let i = 0; i < 3000 && applied === 0n; i++) {
      applied = [...(await reader.progress()).values()].reduce((a, b) => a + BigInt(b), 0n);
      if (applied === 0n) await new Promise((r) => setTimeout(r, 5));
    }
    await projector.kill();
    const atKill = [...(await reader.progress()).values()].reduce((a, b) => a + BigInt(b), 0n);
    expect(atKill).toBeGreaterThan(0n);
    expect(atKill).toBeLessThan(total); // killed part way through

    projector = await startService('projector', bed.env, port, tag);
    await caughtUp(bed.kafka, bed.topics.names.ledger, reader, 90_000);
    const live = await activeGenerationName(bed.mongo.db);

    const result = await runRebuild(bed.env, '--keep-previous');
    expect(result.previous).toBe(live);
    expect(BigInt(result.records)).toBe(total);
    const rebuilt = await generationDocuments(bed.mongo.db, result.generation);
    const before = await generationDocuments(bed.mongo.db, live);
    expect(before.subjects).toHaveLength(SUBJECTS);
    expect(before.subjects).toEqual(rebuilt.subjects);
    // Each stored state's fingerprint describes it, crash or not (what the audit replay compares).
    expect(before.fingerprints).toEqual(rebuilt.fingerprints);
    expect(before.fingerprints.map((f) => [f._id, f.fingerprint])).toEqual(
      before.subjects.map((s) => [s._id, stateFingerprint(withoutId(s))]),
    );
    expect(before.dataUsers).toEqual(rebuilt.dataUsers);
    expect(before.progress).toEqual(rebuilt.progress);

    const seen = new Map<string, number>();
    for (const s of before.subjects) for (const r of s.records) seen.set(r.event.id, (seen.get(r.event.id) ?? 0) + 1);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(seen.keys())).toEqual(new Set(events.map((e) => e.id)));
  }, 240_000);

  it('a rebuild switches readers and the running projector over, and drops the old generation', async () => {
    const old = await activeGenerationName(bed.mongo.db);
    const result = await runRebuild(bed.env);
    expect(result.previous).toBe(old);
    expect(await activeGenerationName(bed.mongo.db)).toBe(result.generation);
    const names = (await bed.mongo.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names.filter((n) => n.startsWith(`projection_${old}_`))).toEqual([]);

    // The projector (still running) now writes the new generation; readers follow the switch.
    const subject = `sub_${prefix}_after_switch`;
    await bed.writer.appendAll([given(`${prefix}.after-switch`, 50, { subject })]);
    await caughtUp(bed.kafka, bed.topics.names.ledger, reader, 30_000);
    expect((await reader.subject(subject))?.records.map((r) => r.event.id)).toEqual([`${prefix}.after-switch`]);
    expect((await reader.subject(`sub_${prefix}_0000003`))?.records.length).toBeGreaterThan(2);
  }, 120_000);
});
