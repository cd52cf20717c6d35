// Fault: the projector is SIGKILLed during live load, and (separately) a rebuild is SIGKILLed half way
// together with the live projector while events keep arriving. After restart and catch-up the live
// projection equals a fresh rebuild document by document, and no subject holds an event id twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { projectionReader, type ProjectionReader } from '../../projections/reader.js';
import { activeGenerationName, generation } from '../../projections/generation.js';
import {
  caughtUp,
  generationDocuments,
  projectorTestBed,
  runRebuild,
  type ProjectorTestBed,
} from '../harness/projector.js';
import { sampleLedger } from '../harness/ledgerSample.js';
import { figures, secondsSince, sleep } from './faultKit.js';

const port = 18430;
const tag = `fpk-${runId}`;
const prefix = `fpk${runId}`;
const PER_PHASE = Number(process.env.FAULTS_PROJECTOR_SUBJECTS ?? 100);
const CHUNK = 25;

/** Event ids held more than once by one subject's records. */
function appliedTwice(subjects: readonly { records: readonly { event: { id: string } }[] }[]): string[] {
  return subjects.flatMap((s) => {
    const ids = s.records.map((r) => r.event.id);
    return ids.filter((id, i) => ids.indexOf(id) !== i);
  });
}

describe('fault: projector SIGKILLed during live load and during a rebuild', () => {
  let bed: ProjectorTestBed;
  let projector: RunningService | undefined;
  let reader: ProjectionReader;
  const written: LedgerEvent[] = [];

  /** Live load: the events in chunks, as hospitals would send them; `written` counts what Kafka acknowledged. */
  function load(events: LedgerEvent[], stop = { now: false }) {
    return (async () => {
      for (let i = 0; i < events.length && !stop.now; i += CHUNK) {
        const chunk = events.slice(i, i + CHUNK);
        await bed.writer.appendAll(chunk);
        written.push(...chunk);
        await sleep(20);
      }
    })();
  }
  /** The live projection equals a fresh rebuild of the whole ledger, document by document. */
  async function equalsFreshRebuild() {
    await caughtUp(bed.kafka, bed.topics.names.ledger, reader, 120_000);
    const live = await activeGenerationName(bed.mongo.db);
    const result = await runRebuild(bed.env, '--keep-previous');
    expect(result.previous).toBe(live);
    const before = await generationDocuments(bed.mongo.db, live);
    const rebuilt = await generationDocuments(bed.mongo.db, result.generation);
    expect(before.subjects).toEqual(rebuilt.subjects);
    expect(before.dataUsers).toEqual(rebuilt.dataUsers);
    expect(before.progress).toEqual(rebuilt.progress);
    const twice = appliedTwice(before.subjects);
    expect(twice).toEqual([]);
    const found = new Set(before.subjects.flatMap((s) => s.records.map((r) => r.event.id)));
    return { found, twice: twice.length, records: result.records };
  }

  beforeAll(async () => {
    bed = await projectorTestBed(tag, port);
    reader = projectionReader(bed.mongo.db);
    const seed = sampleLedger(prefix, 0, PER_PHASE);
    await load(seed);
    projector = await startService('projector', bed.env, port, tag);
  }, 120_000);
  afterAll(async () => {
    await projector?.stop();
    await bed?.close();
  });

  it('SIGKILL during live load, restart: equal to a fresh rebuild, every acknowledged event applied once', async () => {
    const t0 = performance.now();
    const events = sampleLedger(prefix, PER_PHASE, 2 * PER_PHASE);
    const loading = load(events);
    for (let i = 0; i < 1000 && written.length < events.length / 2 + PER_PHASE; i++) await sleep(20);
    const writtenAtKill = written.length;
    await projector!.kill();
    projector = await startService('projector', bed.env, port, tag);
    await loading;
    const { found, twice, records } = await equalsFreshRebuild();
    figures('projector-sigkill-live-load', {
      acknowledged: written.length,
      killedAfterWritten: writtenAtKill,
      found: found.size,
      appliedTwice: twice,
      ledgerRecords: records,
      durationS: secondsSince(t0),
    });
    expect(writtenAtKill).toBeLessThan(written.length);
    expect(found).toEqual(new Set(written.map((e) => e.id)));
  });

  it(
    'a rebuild SIGKILLed half way (with the live projector) leaves the active projection in use; restart, rebuild ' +
      'again: equal to a fresh rebuild',
    async () => {
      const t0 = performance.now();
      const liveBefore = await activeGenerationName(bed.mongo.db);
      const stop = { now: false }; // set on failure only, so a failed test stops writing
      const generations = async () =>
        (await bed.mongo.db.listCollections({}, { nameOnly: true }).toArray())
          .map((c) => /^projection_(g[a-z0-9]+)_progress$/.exec(c.name)?.[1])
          .filter((g): g is string => !!g);
      const existing = new Set(await generations());
      const loading = load(sampleLedger(prefix, 2 * PER_PHASE, 3 * PER_PHASE), stop);
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/projector/rebuildCli.ts', '--quiet'], {
        env: { ...process.env, ...bed.env },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // Half way: its generation's collections exist and hold some progress, it has not switched.
      let building: string | undefined;
      for (let i = 0; i < 3000 && !building && child.exitCode === null; i++) {
        for (const g of (await generations()).filter((x) => !existing.has(x)))
          if ((await generation(bed.mongo.db, g).progress.countDocuments({})) > 0) building = g;
        if (!building) await sleep(20);
      }
      if (!building) stop.now = true;
      expect(building, 'the rebuild finished before it could be killed').toBeDefined();
      child.kill('SIGKILL');
      await exited;
      await projector!.kill();
      const collectionsOf = async (g: string) =>
        (await bed.mongo.db.listCollections({}, { nameOnly: true }).toArray()).filter((c) =>
          c.name.startsWith(`projection_${g}_`),
        ).length;
      const halfBuilt = await collectionsOf(building!);
      expect(await activeGenerationName(bed.mongo.db)).toBe(liveBefore); // readers never saw the half-built generation
      projector = await startService('projector', bed.env, port, tag);

      // Rebuild again, to completion, while the load goes on; the restarted projector follows the switch.
      const result = await runRebuild(bed.env);
      expect(result.previous).toBe(liveBefore);
      // The killed rebuild's half-built generation was dropped by this one (it held the rebuild lease).
      expect(result.droppedOrphan).toBe(building);
      const orphanCollections = await collectionsOf(building!);
      expect(orphanCollections).toBe(0);
      await loading;
      expect(await activeGenerationName(bed.mongo.db)).toBe(result.generation);
      const { found, twice, records } = await equalsFreshRebuild();
      figures('projector-sigkill-during-rebuild', {
        acknowledged: written.length,
        found: found.size,
        appliedTwice: twice,
        ledgerRecords: records,
        killedRebuildGeneration: building!,
        halfBuiltCollections: halfBuilt,
        orphanCollectionsAfterNextRebuild: orphanCollections,
        durationS: secondsSince(t0),
      });
      expect(found).toEqual(new Set(written.map((e) => e.id)));
    },
  );
});
