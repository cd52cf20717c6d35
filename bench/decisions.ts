// Decision benchmarks (issues 4, 14): POST /v1/decisions at concurrency 64 and one caller at a time
// against a bare express handler and the durable floor (durableFloor.ts) in the same run, a
// 1,000,000-subject POST /v1/decisions:filter end to end, and a mixed load of 90 % decisions / 10 %
// events against both services (and against the floor). Loopback only, bounded in time and count; the
// real projector, ingest, Kafka and FerretDB of the running stack.
// Knobs: BENCH_SECONDS (default 10), BENCH_SUBJECTS (subjects with projected state, default 1000),
// BENCH_COHORT (filter cohort size, default 1,000,000), BENCH_FILTER_CONSENTED and
// BENCH_FILTER_OPTOUTS (the cohort's subjects with an effective consent, default 10 %, and with a
// national opt-out, default 6 %, as the issue states; the rest of the cohort has no events),
// BENCH_MIXED_S (seconds of the mixed load, default 60).
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fmtNum, printTable, type BenchRow } from './table.js';
import { startBareExpress, startDurableFloor } from './floors.js';
import { benchEvent, ingestRecordBytes } from './ingest.js';
import { mixedLoad, type MixResult, type MixTarget } from './mixedLoad.js';
import {
  approvals,
  consentEffective,
  consentGiven,
  ledgerEvent,
  SCOPE_ALL,
  startQueryStack,
} from '../test/e2e/queryKit.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { startService } from '../test/harness/service.js';
import { decisionLogEvent, type DecisionRecord } from '../contracts/topicEvents.js';

const execFileAsync = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MIXED_S = Number(process.env.BENCH_MIXED_S ?? 60);
const CONNECTIONS = 64;
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 1000);
const COHORT = Number(process.env.BENCH_COHORT ?? 1_000_000);
const FILTER_CONSENTED = Number(process.env.BENCH_FILTER_CONSENTED ?? COHORT / 10);
const FILTER_OPTOUTS = Number(process.env.BENCH_FILTER_OPTOUTS ?? (COHORT * 6) / 100);
const run = Date.now().toString(36);
const subjectId = (n: number) => `sub_bench${String(n).padStart(12, '0')}`;

const decisionBody = (n: number) =>
  JSON.stringify({ subject: subjectId((n * 7919) % SUBJECTS), purpose: 'research', dataCategory: 'ehr' });

/** One caller at a time, timed to the microsecond (autocannon's histogram counts whole milliseconds). */
async function oneCallerLoad(url: string, apiKey: string | undefined): Promise<MixResult> {
  return (await mixedLoad(mix(url, url, { decisions: apiKey }).slice(0, 1), 1, SECONDS)).get('decisions')!;
}

async function load(url: string, apiKey: string | undefined, connections = CONNECTIONS, seconds = SECONDS) {
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/decisions`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, body: decisionBody(n++) }),
      },
    ],
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
  });
  return {
    rps: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/** The filter's cohort: one id in ten has an effective consent, three in fifty a national opt-out (each
 *  while the seeded ones last), the rest no state. */
const cohortId = (i: number) => `sub_cohort${run}${String(i).padStart(9, '0')}`;
const consentedAt = (i: number) => i % 10 === 0 && i / 10 < FILTER_CONSENTED;
const optedOutAt = (i: number) => i % 50 >= 1 && i % 50 <= 3 && Math.floor(i / 50) * 3 + (i % 50) - 1 < FILTER_OPTOUTS;

function cohortBody(): string {
  const parts: string[] = [];
  for (let i = 0; i < COHORT; i++) parts.push(`"${cohortId(i)}"`);
  return `[${parts.join(',')}]`;
}

/** The cohort's events, straight onto the ledger in batches; resolves to how many subjects have state. */
async function seedCohort(s: Stack): Promise<{ consented: number; optedOut: number }> {
  let batch: LedgerEvent[] = [];
  const counts = { consented: 0, optedOut: 0 };
  const flush = async () => {
    if (batch.length > 0) await s.write(batch);
    batch = [];
  };
  for (let i = 0; i < COHORT; i++) {
    const subject = cohortId(i);
    if (consentedAt(i)) {
      batch.push(consentGiven(`cohort-${run}-${i}`, subject), consentEffective(`cohort-${run}-${i}`, subject));
      counts.consented++;
    } else if (optedOutAt(i)) {
      batch.push(
        ledgerEvent('optout.registered', `cohort-${run}-${i}-optout`, subject, { scope: SCOPE_ALL, national: true }),
      );
      counts.optedOut++;
    }
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return counts;
}

type Stack = Awaited<ReturnType<typeof startQueryStack>>;

/** The query stack with the bench's data user registered: its API key. */
async function withDataUser(s: Stack): Promise<string> {
  const [admin, dataUser] = await Promise.all([s.key('admin', 'admin:bench'), s.key('dataUser', 'du_bench')]);
  const reg = await s.call('/v1/data-users', admin, {
    body: {
      dataUserId: 'du_bench',
      name: 'Bench University',
      category: 'academic',
      jurisdiction: 'uk',
      approvals: approvals(['research']),
    },
  });
  if (reg.status !== 202) throw new Error(`registration answered ${reg.status}`);
  return dataUser;
}

/** The filter rows alone (`make bench ONLY=filter`): the cohort seeded, then two filters of it. */
export async function filterBench(): Promise<void> {
  const s = await startQueryStack(`bench-${run}`, { query: 18270, projector: 18271 }, { LOG_LEVEL: 'warn' });
  try {
    const dataUser = await withDataUser(s);
    printTable('Cohort filter', await filterRows(s, dataUser));
  } finally {
    await s.close();
  }
}

export async function decisionsBench(): Promise<void> {
  const s = await startQueryStack(`bench-${run}`, { query: 18270, projector: 18271 }, { LOG_LEVEL: 'warn' });
  const bare = await startBareExpress(18272);
  try {
    const dataUser = await withDataUser(s);
    for (let i = 0; i < SUBJECTS; i += 500) {
      const events = Array.from({ length: Math.min(500, SUBJECTS - i) }, (_, k) => {
        const subject = subjectId(i + k);
        return [consentGiven(`bench-${run}-${i + k}`, subject), consentEffective(`bench-${run}-${i + k}`, subject)];
      }).flat();
      await s.write(events);
    }
    // Warm both (JIT, connections, and the projection catching up with the seeded events).
    await load(bare.url, undefined);
    await untilCurrent(s, dataUser);
    const check = await s.call('/v1/decisions', dataUser, {
      body: { subject: subjectId(1), purpose: 'research', dataCategory: 'ehr' },
    });
    const answer = await check.text();
    if (!answer.includes('"permit"')) throw new Error(`seeded subject is not permitted: ${answer}`);
    // Warm the query service's state cache over the subjects the load asks about (steady state).
    for (let i = 0; i < SUBJECTS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, SUBJECTS - i) }, async (_, k) => {
          const r = await s.call('/v1/decisions', dataUser, {
            body: { subject: subjectId(i + k), purpose: 'research', dataCategory: 'ehr' },
          });
          await r.text();
        }),
      );
    }
    const base = await load(bare.url, undefined);

    const floorServer = await startDurableFloor(18274, `decisions-${run}`, {
      eventBytes: ingestRecordBytes(),
      decisionBytes: decisionRecordBytes(answer),
    });
    const floors = await (async () => {
      await load(floorServer.url, undefined, CONNECTIONS, Math.min(SECONDS, 3)); // warm (JIT, connections)
      return {
        c64: await load(floorServer.url, undefined),
        c1: await oneCallerLoad(floorServer.url, undefined),
        mixed: await mixedLoad(mix(floorServer.url, floorServer.url, {}), CONNECTIONS, MIXED_S),
      };
    })().finally(() => floorServer.stop());

    const ours = await load(s.query.url, dataUser);
    const oneCaller = await oneCallerLoad(s.query.url, dataUser);

    const filter = await filterRows(s, dataUser);

    const ingest = await startService(
      'ingest',
      { ...s.env, INGEST_PORT: '18273', LOG_LEVEL: 'warn' },
      18273,
      `bench-mixed-ingest-${run}`,
    );
    const hospital = await s.key('hospital', 'org:bench');
    const mixed = await mixedLoad(
      mix(s.query.url, ingest.url, { decisions: dataUser, events: hospital }),
      CONNECTIONS,
      MIXED_S,
    ).finally(() => ingest.stop());

    const rows: BenchRow[] = [
      {
        name: `POST /v1/decisions, c=${CONNECTIONS}, ${SECONDS}s: req/s`,
        ours: fmtNum(ours.rps),
        baseline: `${fmtNum(base.rps)} (bare express)`,
        ratio: `${fmtNum((100 * ours.rps) / base.rps)} %`,
        goal: '≥ 50 %',
        met: ours.rps >= base.rps / 2 ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/decisions: p50 / p99 latency',
        ours: `${ours.p50} / ${ours.p99} ms`,
        baseline: `${base.p50} / ${base.p99} ms`,
        ratio: '',
        goal: 'p99 ≤ 10 ms',
        met: ours.p99 <= 10 ? 'yes' : 'no',
      },
      {
        name: `POST /v1/decisions, c=${CONNECTIONS}: req/s vs durable floor (one acks=all produce of the log record)`,
        ours: fmtNum(ours.rps),
        baseline: `${fmtNum(floors.c64.rps)} (durable floor)`,
        ratio: `${fmtNum((100 * ours.rps) / floors.c64.rps)} %`,
        goal: '≥ 60 %',
        met: ours.rps >= 0.6 * floors.c64.rps ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/decisions: p99 vs durable floor p99',
        ours: `${ours.p99} ms`,
        baseline: `${floors.c64.p99} ms (floor p50 ${floors.c64.p50} ms)`,
        ratio: `${fmtNum(ours.p99 / floors.c64.p99, 1)} ×`,
        goal: '≤ 2 ×',
        met: ours.p99 <= 2 * floors.c64.p99 ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/decisions, one caller at a time: p50, req/s',
        ours: `${fmtNum(oneCaller.p50, 2)} ms, ${fmtNum(oneCaller.rps)} req/s`,
        baseline: `${fmtNum(floors.c1.p50, 2)} ms, ${fmtNum(floors.c1.rps)} req/s (durable floor)`,
        ratio: `${fmtNum((100 * oneCaller.rps) / floors.c1.rps)} %`,
        goal: 'p50 ≤ 3 ms',
        met: oneCaller.p50 <= 3 ? 'yes' : 'no',
      },
      {
        name: 'POST /v1/decisions: non-2xx or errors (c=64 / one caller)',
        ours: `${ours.errors} / ${oneCaller.errors}`,
        baseline: `${base.errors} bare / ${floors.c64.errors} + ${floors.c1.errors} floor`,
        ratio: '',
        goal: '0',
        met: ours.errors === 0 ? 'yes' : 'no',
      },
      ...filter,
      ...mixedRows(mixed, floors.mixed),
    ];
    printTable('Decisions', rows);
  } finally {
    await bare.stop();
    await s.close();
  }
}

/** The cohort seeded (issue 14's population), then the filter twice: its first pass over the whole
 *  projection, and the next after 20 new consents. */
async function filterRows(s: Stack, dataUser: string): Promise<BenchRow[]> {
  // The filter's population, then a wait until the projection has it (an empty filter waits for
  // every partition). The first filter then passes over the whole projection (what a query instance
  // does once after it starts); then 20 new consents, and the second filter reads only those again.
  const seeded = await seedCohort(s);
  await untilCurrent(s, dataUser);
  const first = await timedFilter(s, dataUser, seeded.consented);
  await s.write(
    Array.from({ length: 20 }, (_, k) => {
      const i = 10 * k + 5; // ids with no state so far
      return [
        consentGiven(`cohort-${run}-late-${i}`, cohortId(i)),
        consentEffective(`cohort-${run}-late-${i}`, cohortId(i)),
      ];
    }).flat(),
  );
  const later = await timedFilter(s, dataUser, seeded.consented + 20);

  return [
    {
      name:
        `decisions:filter, ${fmtNum(COHORT)} subjects (${fmtNum(seeded.consented + 20)} consented, ` +
        `${fmtNum(seeded.optedOut)} national opt-outs; ${fmtNum(later.permitted)} permitted), end to end (curl)`,
      ours: `${fmtNum(later.ms / 1000, 2)} s`,
      baseline: '',
      ratio: '',
      goal: '≤ 1 s',
      met: later.ms <= 1000 ? 'yes' : 'no',
    },
    {
      name: 'decisions:filter, the same cohort, first after seeding (one pass over the whole projection)',
      ours: `${fmtNum(first.ms / 1000, 2)} s`,
      baseline: '',
      ratio: '',
      goal: '',
      met: '',
    },
  ];
}

/** One filter of the whole cohort, end to end through `curl --data-binary` (as issue 14 measures it;
 *  curl reads the 70 MB answer far faster than a Node client would, so the time is the service's), its
 *  answers then counted and checked against `permitted`. */
async function timedFilter(s: Stack, dataUser: string, permitted: number) {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-'));
  try {
    const [body, headers, out] = [join(dir, 'cohort.json'), join(dir, 'headers'), join(dir, 'answers.ndjson')] as const;
    await writeFile(body, cohortBody());
    await writeFile(headers, `authorization: Bearer ${dataUser}\ncontent-type: application/json\n`);
    const { stdout } = await execFileAsync('curl', [
      '--silent',
      '--show-error',
      '--data-binary',
      `@${body}`,
      '--header',
      `@${headers}`,
      '--output',
      out,
      '--write-out',
      '%{http_code} %{time_total}',
      `${s.query.url}/v1/decisions:filter?purpose=research&dataCategory=ehr`,
    ]);
    const [status = '', seconds = ''] = stdout.trim().split(' ');
    const text = await readFile(out, 'latin1');
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    const tail = text.slice(-400);
    const trailer = JSON.parse(tail.trim().split('\n').pop()!) as {
      summary?: { cohortSize: number; permitted: number };
    };
    if (status !== '200' || trailer.summary?.cohortSize !== COHORT || lines !== COHORT + 1)
      throw new Error(`filter answered ${status}, ${lines} lines, trailer ${tail.slice(-200)}`);
    // Every consented subject permitted, nobody else: the answers are checked, not just counted.
    if (trailer.summary.permitted !== permitted)
      throw new Error(`filter permitted ${trailer.summary.permitted}, expected ${permitted}`);
    return { ms: Number(seconds) * 1000, permitted: trailer.summary.permitted };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Until the projector has caught up with what was written, answers are 503 (freshness): wait for an
 *  empty filter (which waits for every partition) to pass. */
async function untilCurrent(s: Stack, dataUser: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await s.call('/v1/decisions:filter?purpose=research&dataCategory=ehr', dataUser, { raw: '[]' });
    await res.text();
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('the projection did not catch up with the seeded events in 300 s');
}

/** Bytes of the decision-log record the query service wrote for `answer` (services/query/decisionRoutes.ts). */
function decisionRecordBytes(answer: string): number {
  const a = JSON.parse(answer) as Omit<DecisionRecord, 'kind' | 'at' | 'reasons'> & {
    decidedAt: string;
    reasons: { code: DecisionRecord['reasons'][number] }[];
  };
  const record: DecisionRecord = {
    kind: 'decision',
    decisionId: a.decisionId,
    at: a.decidedAt,
    dataUserId: a.dataUserId,
    subject: a.subject,
    purpose: a.purpose,
    dataCategory: a.dataCategory,
    decision: a.decision,
    reasons: a.reasons.map((r) => r.code),
    eventIds: a.eventIds,
    policyVersion: a.policyVersion,
  };
  return Buffer.byteLength(JSON.stringify(decisionLogEvent(record)));
}

/** One cycle of the mixed load: 9 decisions, then 1 event (90 % / 10 % by request). */
function mix(queryUrl: string, ingestUrl: string, keys: { decisions?: string; events?: string }): MixTarget[] {
  const auth = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
  const decision: MixTarget = {
    name: 'decisions',
    url: queryUrl,
    path: '/v1/decisions',
    headers: auth(keys.decisions),
    status: 200,
    body: decisionBody,
  };
  const event: MixTarget = {
    name: 'events',
    url: ingestUrl,
    path: '/v1/events',
    headers: auth(keys.events),
    status: 202,
    body: (n) => JSON.stringify(benchEvent(`m-${run}-${ingestUrl === queryUrl ? 'floor' : 'ours'}-${n}`, n)),
  };
  return [...Array<MixTarget>(9).fill(decision), event];
}

function mixedRows(ours: Map<string, MixResult>, floor: Map<string, MixResult>): BenchRow[] {
  const fig = (r: MixResult) => `${fmtNum(r.rps)} req/s, p50 ${fmtNum(r.p50, 1)} / p99 ${fmtNum(r.p99, 1)} ms`;
  const row = (name: string, route: string): BenchRow => {
    const o = ours.get(name)!;
    const f = floor.get(name)!;
    const met = o.rps >= 0.6 * f.rps && o.p99 <= 2 * f.p99 && o.errors === 0;
    const failed = (r: MixResult) =>
      r.errors === 0 ? '0' : [...r.failures].map(([status, n]) => `${n} × ${status || 'no answer'}`).join(', ');
    return {
      name: `mixed 90/10, c=${CONNECTIONS}, ${MIXED_S}s: ${route} (non-2xx ${failed(o)} / floor ${failed(f)})`,
      ours: fig(o),
      baseline: `${fig(f)} (durable floor)`,
      ratio: `${fmtNum((100 * o.rps) / f.rps)} %, p99 ${fmtNum(o.p99 / f.p99, 1)} ×`,
      goal: '≥ 60 %, p99 ≤ 2 ×, 0 errors',
      met: met ? 'yes' : 'no',
    };
  };
  return [row('decisions', 'POST /v1/decisions'), row('events', 'POST /v1/events')];
}
