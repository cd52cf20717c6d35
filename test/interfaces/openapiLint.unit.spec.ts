// The served OpenAPI documents as integrators' own tools see them: Redocly CLI with its recommended
// ruleset and Spectral with spectral:oas, both required to report nothing at all (no error, no
// warning). The documents are the ones the services serve at /openapi.json (the same functions).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ingestOpenApi } from '../../services/ingest/openapi.js';
import { queryOpenApi } from '../../services/query/openapi.js';
import { auditOpenApi } from '../../services/audit/openapi.js';

const run = promisify(execFile);
const bin = (name: string) => new URL(`../../node_modules/.bin/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
const DOCUMENTS = { ingest: ingestOpenApi, query: queryOpenApi, audit: auditOpenApi };
const files = Object.fromEntries(
  Object.entries(DOCUMENTS).map(([name, doc]) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(doc()));
    return [name, file];
  }),
);
const ruleset = join(dir, '.spectral.json');
writeFileSync(ruleset, JSON.stringify({ extends: ['spectral:oas'] }));

/** The command's output whatever its exit code (both tools exit non-zero on findings). */
async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    return stdout + stderr;
  }
}

describe.each(Object.keys(DOCUMENTS))('the %s OpenAPI document', (name) => {
  it('@redocly/cli lint (recommended): no error, no warning', { timeout: 60_000 }, async () => {
    const out = await output(bin('redocly'), ['lint', '--extends', 'recommended', '--format', 'json', files[name]!]);
    const report = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
      problems: { ruleId: string; severity: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
  });

  it('Spectral (spectral:oas): no finding of any severity', { timeout: 60_000 }, async () => {
    const out = await output(bin('spectral'), [
      'lint',
      '-r',
      ruleset,
      '-f',
      'json',
      '--fail-severity',
      'hint',
      files[name]!,
    ]);
    const findings = JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1)) as {
      code: string;
      message: string;
      path: string[];
    }[];
    expect(findings.map((f) => `${f.code} ${f.path.join('.')}: ${f.message}`)).toEqual([]);
  });
});
