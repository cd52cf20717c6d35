// The projector as a real process against the test stack's Kafka and FerretDB: what it stores equals
// the contracts' fold of the same ledger records; re-delivery, late arrival and poison records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../test/serverEnv.js';
import { startService, type RunningService } from '../../test/harness/service.js';
import { readTopic } from '../../test/harness/ledger.js';
import { foldEvents } from '../../contracts/consent/fold.js';
import { evolveDataUser } from '../../contracts/consent/dataUsers.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import type { PositionedEvent } from '../../contracts/consent/order.js';
import { EXAMPLE_EVENTS } from '../../contracts/consent/examples.js';
import {
  effective,
  given,
  optOut,
  released,
  revocationSent,
  scope,
  withdrawn,
} from '../../contracts/consent/fixtures.js';
import { projectionReader, type ProjectionReader } from '../../projections/reader.js';
import { DEADLETTER_HEADERS } from '../../contracts/topics.js';
import { headerText } from '../../adapters/kafka.js';
import { caughtUp, projectorTestBed, type ProjectorTestBed } from '../../test/harness/projector.js';

const port = 18200;
const tag = `proj-${runId}`;
const sub = (n: number) => `sub_proj${runId}_${String(n).padStart(4, '0')}`;
const id = (s: string) => `${runId}.${s}`;

describe('projector: ledger → consent-state projections', () => {
  let bed: ProjectorTestBed;
  let projector: RunningService;
  let reader: ProjectionReader;
  const written: PositionedEvent[] = [];

  const append = async (...events: LedgerEvent[]) => {
    const positions = await bed.writer.appendAll(events);
    events.forEach((event, i) =>
      written.push({ event, position: { partition: positions[i]!.partition, offset: positions[i]!.offset } }),
    );
    return positions;
  };
  const expected = (subject: string) => foldEvents(written.filter((r) => r.event.subject === subject));
  const settle = () => caughtUp(bed.kafka, bed.topics.names.ledger, reader);

  beforeAll(async () => {
    bed = await projectorTestBed(tag, port);
    reader = projectionReader(bed.mongo.db);
    projector = await startService('projector', bed.env, port, tag);
  });
  afterAll(async () => {
    await projector?.stop();
    await bed?.close();
  });

  it("stores each subject's state exactly as the contracts fold the same ledger records, and data users as evolveDataUser does", async () => {
    const du = 'du_proj-' + runId;
    const registered = {
      ...EXAMPLE_EVENTS['dataUser.registered'],
      id: id('du.reg'),
      subject: du,
      data: { ...EXAMPLE_EVENTS['dataUser.registered'].data, dataUserId: du },
    };
    const approved = {
      ...EXAMPLE_EVENTS['dataUser.approved'],
      id: id('du.appr'),
      subject: du,
      data: { ...EXAMPLE_EVENTS['dataUser.approved'].data, dataUserId: du },
    };
    await append(
      given(id('c1'), 1, { subject: sub(1), scope: scope({ purposes: ['research'] }) }),
      effective(id('c1'), 15, { subject: sub(1) }),
      given(id('c2'), 2, { subject: sub(2) }),
      optOut(id('o2'), 3, { subject: sub(2), national: true }),
      given(id('c3'), 1, { subject: sub(3), setting: 'emergency' }),
      released(id('r3'), du, 4, { subject: sub(3) }),
      registered,
      approved,
    );
    await settle();
    for (const n of [1, 2, 3]) expect(await reader.subject(sub(n))).toEqual(expected(sub(n)));
    expect((await reader.subject(sub(1)))!.facts[0]).toMatchObject({ kind: 'consent', status: 'effective' });
    const many = await reader.subjects([sub(1), sub(2), sub(3), sub(999)]);
    expect([...many.keys()].sort()).toEqual([sub(1), sub(2), sub(3)]);
    expect(await reader.subject(sub(999))).toBeUndefined();
    const user = evolveDataUser(evolveDataUser(undefined, registered), approved);
    expect(await reader.dataUser(du)).toEqual(user);
    expect((await reader.dataUsers()).map((d) => d.id)).toContain(du);
    const all: string[] = [];
    for await (const s of reader.allSubjects()) all.push(s.subject!);
    expect(all.sort()).toEqual([sub(1), sub(2), sub(3)]);
  });

  it('a physical duplicate of an applied event (same id, new offset) changes nothing', async () => {
    const before = await reader.subject(sub(1));
    const original = written.find((r) => r.event.id === id('c1'))!;
    const [dup] = await bed.writer.appendAll([original.event]);
    expect(dup!.offset).not.toBe(original.position.offset);
    await settle();
    expect((await reader.progress()).get(dup!.partition)).toBe((BigInt(dup!.offset) + 1n).toString());
    const after = await reader.subject(sub(1));
    expect(after).toEqual(before);
    expect(after!.records.filter((r) => r.event.id === id('c1'))).toHaveLength(1);
  });

  it('a late event (occurred before events already applied) re-folds the subject into occurredAt order', async () => {
    await append(
      given(id('c4'), 1, { subject: sub(4) }),
      effective(id('c4'), 15, { subject: sub(4) }),
      revocationSent(id('w4x'), 'du_other', 20, { subject: sub(4) }),
    );
    await settle();
    // A paper withdrawal signed on day 10, recorded on day 30.
    await append(withdrawn(id('w4'), 10, { subject: sub(4), recordedAt: 30 }));
    await settle();
    const state = (await reader.subject(sub(4)))!;
    expect(state).toEqual(expected(sub(4)));
    expect(state.records.map((r) => r.event.id)).toEqual([
      id('c4'),
      id('w4'),
      id('c4.effective'),
      id('w4x.sent.du_other'),
    ]);
    expect(state.facts.find((f) => f.kind === 'consent')).toMatchObject({ withdrawnBy: [id('w4')] });
  });

  it('a poison record goes to the dead-letter topic and the projector keeps going', async () => {
    const poisonSubject = sub(5);
    const meta = await bed.producer.send({
      topic: bed.topics.names.ledger,
      acks: -1,
      messages: [{ key: poisonSubject, value: '{"not":"an event"' }],
    });
    await append(given(id('c5'), 5, { subject: poisonSubject }));
    await settle();
    expect(await reader.subject(poisonSubject)).toEqual(expected(poisonSubject));
    const dead = await readTopic(bed.kafka, bed.topics.names.deadLetter);
    const mine = dead.filter(
      (d) =>
        headerText(d.headers, DEADLETTER_HEADERS.offset) === meta[0]!.baseOffset &&
        headerText(d.headers, DEADLETTER_HEADERS.partition) === String(meta[0]!.partition),
    );
    expect(mine).toHaveLength(1);
    expect(headerText(mine[0]!.headers, DEADLETTER_HEADERS.error)).toBe('not valid JSON');
  });

  it('reports readiness and metrics on its port', async () => {
    expect((await fetch(`${projector.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${projector.url}/metrics`)).text();
    expect(metrics).toMatch(/projector_events_applied_total\{partition="\d+"\} [1-9]/);
  });
});
