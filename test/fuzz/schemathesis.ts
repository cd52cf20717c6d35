// Runs schemathesis (`st run`, installed by infra/schemathesis.sh) against one service's /openapi.json
// and reads its JSON run report: how many cases ran and which checks failed, per operation.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// FUZZ_CHECKS widens a run for exploration (e.g. `all`); the test's contract is the default four.
export const CHECKS = (
  process.env.FUZZ_CHECKS ?? 'not_a_server_error,response_schema_conformance,status_code_conformance,unsupported_method'
).split(',');

export interface FuzzRun {
  name: string;
  exitCode: number | null;
  cases: number;
  operations: number;
  failures: { operation: string; check: string; message: string }[];
  errors: string[];
  output: string;
}

/** The `st` executable (installs the pinned version on first use; cached afterwards). */
export function schemathesisBin(): string {
  return execFileSync('infra/schemathesis.sh', {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  }).trim();
}

export async function fuzz(
  st: string,
  name: string,
  baseUrl: string,
  apiKey: string,
  opts: { maxExamples: number; seed: number; reportDir: string; extraArgs?: string[] },
): Promise<FuzzRun> {
  mkdirSync(opts.reportDir, { recursive: true });
  const reportPath = join(opts.reportDir, `${name}.ndjson`);
  const args = [
    'run',
    `${baseUrl}/openapi.json`,
    '--checks',
    CHECKS.join(','),
    '--max-examples',
    String(opts.maxExamples),
    '--seed',
    String(opts.seed),
    '--workers',
    '1',
    '--phases',
    'examples,coverage,fuzzing',
    '--request-timeout',
    '20',
    '--suppress-health-check',
    'all',
    '--header',
    `Authorization: Bearer ${apiKey}`,
    '--report',
    'ndjson',
    '--report-ndjson-path',
    reportPath,
    ...(opts.extraArgs ?? []),
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      st,
      args,
      {
        maxBuffer: 64 << 20,
        timeout: 240_000,
        env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, output: `${stdout}${stderr}` }),
    );
  });
  return { name, exitCode: code, output, ...readReport(reportPath) };
}

/** The NDJSON event stream: one ScenarioFinished per operation and phase, each with its recorder. */
function readReport(path: string): Pick<FuzzRun, 'cases' | 'operations' | 'failures' | 'errors'> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { cases: 0, operations: 0, failures: [], errors: [`no report at ${path}`] };
  }
  const failures: FuzzRun['failures'] = [];
  const errors: string[] = [];
  const caseIds = new Set<string>();
  const operations = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as Record<string, any>;
    const [kind, body] = Object.entries(ev)[0]!;
    if (kind === 'ScenarioFinished') {
      const rec = body.recorder ?? {};
      const label: string = rec.label ?? '?';
      operations.add(label);
      for (const id of Object.keys(rec.cases ?? {})) caseIds.add(`${label}#${id}`);
      for (const checks of Object.values<any[]>(rec.checks ?? {})) {
        for (const c of checks) {
          if (c.status === 'failure' || c.status === 'FAILURE') {
            failures.push({
              operation: label,
              check: c.name,
              message: String(
                c.failure_info?.failure?.title ??
                  c.failure_info?.failure?.message ??
                  JSON.stringify(c.failure_info ?? {}),
              ).slice(0, 500),
            });
          }
        }
      }
    } else if (kind === 'NonFatalError' || kind === 'FatalError') {
      errors.push(String(body.info?.title ?? body.info?.message ?? body.value ?? JSON.stringify(body)).slice(0, 500));
    }
  }
  return { cases: caseIds.size, operations: operations.size, failures, errors };
}
