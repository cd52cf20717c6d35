// Decision benchmarks (issue 4): POST /v1/decisions at concurrency 64 against a bare express handler
// in the same run, and a 1,000,000-subject POST /v1/decisions:filter end to end. Loopback only,
// bounded in time and count; the real projector, Kafka and FerretDB of the running stack.
// Knobs: BENCH_SECONDS (default 10), BENCH_SUBJECTS (subjects with projected state, default 1000),
// BENCH_COHORT (filter cohort size, default 1,000,000; the rest of the cohort has no events).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { fmtNum, printTable, type BenchRow } from './table.js';
import { approvals, consentEffective, consentGiven, startQueryStack } from '../test/e2e/queryKit.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 1000);
const COHORT = Number(process.env.BENCH_COHORT ?? 1_000_000);
const run = Date.now().toString(36);
const subjectId = (n: number) => `sub_bench${String(n).padStart(12, '0')}`;

async function load(url: string, apiKey: string | undefined) {
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/decisions`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            subject: subjectId((n++ * 7919) % SUBJECTS),
            purpose: 'research',
            dataCategory: 'ehr',
          }),
        }),
      },
    ],
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
  });
  return {
    rps: result['2xx'] / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

async function waitReady(url: string) {
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

/** The cohort: every 500th id has projected state (while seeded ones last), the rest have none. */
function cohortBody(): string {
  const parts: string[] = [];
  for (let i = 0; i < COHORT; i++)
    parts.push(
      `"${i % 500 === 0 && i / 500 < SUBJECTS ? subjectId(i / 500) : `sub_none${String(i).padStart(12, '0')}`}"`,
    );
  return `[${parts.join(',')}]`;
}

export async function decisionsBench(): Promise<void> {
  const s = await startQueryStack(`bench-${run}`, { query: 18270, projector: 18271 }, { LOG_LEVEL: 'warn' });
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bareExpress.ts'], {
    stdio: 'ignore',
    env: { ...process.env, BARE_PORT: '18272' },
  });
  try {
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
    for (let i = 0; i < SUBJECTS; i += 500) {
      const events = Array.from({ length: Math.min(500, SUBJECTS - i) }, (_, k) => {
        const subject = subjectId(i + k);
        return [consentGiven(`bench-${run}-${i + k}`, subject), consentEffective(`bench-${run}-${i + k}`, subject)];
      }).flat();
      await s.write(events);
    }
    await waitReady('http://127.0.0.1:18272');
    // Warm both (JIT, connections, and the projection catching up with the seeded events).
    await load('http://127.0.0.1:18272', undefined);
    // Until the projector has caught up with the seeding, answers are 503 (freshness): wait for an
    // empty filter (which waits for every partition) to pass, then check a seeded subject.
    for (let i = 0; i < 120; i++) {
      const res = await s.call('/v1/decisions:filter?purpose=research&dataCategory=ehr', dataUser, { raw: '[]' });
      await res.text();
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
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
    const base = await load('http://127.0.0.1:18272', undefined);
    const ours = await load(s.query.url, dataUser);

    const body = cohortBody();
    const t0 = performance.now();
    const res = await s.call('/v1/decisions:filter?purpose=research&dataCategory=ehr', dataUser, { raw: body });
    let lines = 0;
    let tail = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      const text = decoder.decode(chunk as Uint8Array, { stream: true });
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
      tail = (tail + text).slice(-400);
    }
    const filterMs = performance.now() - t0;
    const trailer = JSON.parse(tail.trim().split('\n').pop()!) as {
      summary?: { cohortSize: number; permitted: number };
    };
    if (res.status !== 200 || trailer.summary?.cohortSize !== COHORT || lines !== COHORT + 1)
      throw new Error(`filter answered ${res.status}, ${lines} lines, trailer ${tail.slice(-200)}`);

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
        name: 'POST /v1/decisions: non-2xx or errors',
        ours: String(ours.errors),
        baseline: String(base.errors),
        ratio: '',
        goal: '0',
        met: ours.errors === 0 ? 'yes' : 'no',
      },
      {
        name:
          `decisions:filter, ${fmtNum(COHORT)} subjects (${fmtNum(Math.min(SUBJECTS, Math.ceil(COHORT / 500)))} with ` +
          `state, ${fmtNum(trailer.summary.permitted)} permitted), end to end`,
        ours: `${fmtNum(filterMs / 1000, 2)} s`,
        baseline: '',
        ratio: '',
        goal: '≤ 2 s',
        met: filterMs <= 2000 ? 'yes' : 'no',
      },
    ];
    printTable('Decisions', rows);
  } finally {
    bare.kill();
    await s.close();
  }
}
