// Issue 6, fuzzing: schemathesis against every HTTP service's /openapi.json (ingest, query, audit), each
// under a credential of a role its endpoints serve. Checks: no 5xx, every response matches the
// documented schema and one of the documented statuses. Bounded: FUZZ_MAX_EXAMPLES cases per operation
// and phase (default 15); FUZZ_SEED reproduces a run (printed). Reports: .state/test/fuzz/<runId>/<run>.ndjson, kept when a run failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { runId } from '../serverEnv.js';
import { startService, type RunningService } from '../harness/service.js';
import { approvals, startQueryStack, type QueryStack } from '../e2e/queryKit.js';
import { sealerKeys } from '../harness/auditLedger.js';
import { fuzz, schemathesisBin, CHECKS, type FuzzRun } from './schemathesis.js';

const PORTS = { query: 18500, projector: 18501, ingest: 18502, audit: 18503 };
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 15);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REPORT_DIR = join(process.cwd(), '.state/test/fuzz', runId);

describe('schemathesis against every service', () => {
  let s: QueryStack;
  let audit: RunningService;
  let st: string;
  const keys: Record<string, string> = {};
  const runs: FuzzRun[] = [];

  beforeAll(async () => {
    st = schemathesisBin();
    s = await startQueryStack(`fuzz-${runId}`, PORTS);
    audit = await startService(
      'audit',
      { ...s.env, AUDIT_PUBLIC_KEY: sealerKeys().publicKeyBase64, AUDIT_PORT: String(PORTS.audit) },
      PORTS.audit,
      `fuzz-audit-${runId}`,
    );
    const dataUserId = `du_fuzz${runId}`;
    [keys.hospital, keys.admin, keys.dataUser, keys.auditor] = await Promise.all([
      s.key('hospital', 'org:fuzz'),
      s.key('admin', 'admin:fuzz'),
      s.key('dataUser', dataUserId),
      s.key('auditor', 'auditor:fuzz'),
    ]);
    // A registered data user, so decisions as that caller reach the fold (not only "unknown data user").
    const res = await s.call('/v1/data-users', keys.admin, {
      body: {
        dataUserId,
        name: 'fuzz user',
        category: 'academic',
        jurisdiction: 'uk',
        approvals: approvals(['research']),
      },
    });
    expect(res.status).toBe(202);
    console.log(
      `schemathesis seed ${SEED}, max examples ${MAX_EXAMPLES}, checks ${CHECKS.join(',')}, reports in ${REPORT_DIR}`,
    );
  });
  afterAll(async () => {
    await audit?.stop();
    await s?.close();
    // The NDJSON reports are several MB per run: kept only when something failed (to replay with `st replay`).
    if (runs.length > 0 && runs.every((r) => r.exitCode === 0 && r.failures.length === 0))
      rmSync(REPORT_DIR, { recursive: true, force: true });
    if (runs.length > 0) {
      console.log(
        [
          '| service / role | operations | cases | failures | errors |',
          '|---|---|---|---|---|',
          ...runs.map(
            (r) => `| ${r.name} | ${r.operations} | ${r.cases} | ${r.failures.length} | ${r.errors.length} |`,
          ),
        ].join('\n'),
      );
    }
  });

  const cases: [string, () => string, string][] = [
    ['ingest-hospital', () => s.ingest!.url, 'hospital'],
    ['query-admin', () => s.query.url, 'admin'],
    ['query-dataUser', () => s.query.url, 'dataUser'],
    ['query-hospital', () => s.query.url, 'hospital'],
    ['query-auditor', () => s.query.url, 'auditor'],
    ['audit-auditor', () => audit.url, 'auditor'],
  ];
  for (const [name, url, role] of cases) {
    it(`${name}: no 5xx, responses conform to the schema`, { timeout: 240_000 }, async () => {
      const run = await fuzz(st, name, url(), keys[role]!, {
        maxExamples: MAX_EXAMPLES,
        seed: SEED,
        reportDir: REPORT_DIR,
      });
      runs.push(run);
      const summary = run.output
        .split('\n')
        .filter((l) => /passed|failed|errors?|Test cases|Operations/i.test(l))
        .slice(-12)
        .join('\n');
      console.log(
        `${name}: exit ${String(run.exitCode)}, ${run.operations} operations, ${run.cases} cases, ` +
          `${run.failures.length} failures, ${run.errors.length} errors\n${summary}`,
      );
      if (run.failures.length > 0 || run.exitCode !== 0) console.log(run.output.slice(-12_000));
      expect(run.errors).toEqual([]);
      expect(run.failures).toEqual([]);
      expect(run.cases).toBeGreaterThan(0);
      expect(run.exitCode).toBe(0);
    });
  }
});
