// Issue 15: the query service's FHIR export (GET /v1/subjects/{id}/fhir) through HAPI FHIR's R4
// validator (from Maven Central, installed by infra/fhir-validator.sh), for a consent with several
// purposes, a withdrawn consent and a consent in its cooling-off period: 0 errors, and no narrative warning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runId } from '../serverEnv.js';
import {
  NHS_ACADEMIC_RESEARCH,
  consentEffective,
  consentGiven,
  ledgerEvent,
  startQueryStack,
  type QueryStack,
} from '../e2e/queryKit.js';

const sub = (n: string) => `sub_${runId}_${n}`.padEnd(22, 'x');
const SUBJECTS = { severalPurposes: sub('fhp'), withdrawn: sub('fhw'), coolingOff: sub('fhc') };

interface Validated {
  file: string;
  errors: number;
  warnings: number;
  messages: { severity: string; location: string; message: string }[];
}

describe('FHIR export through HAPI FHIR validator', () => {
  let s: QueryStack;
  let dir: string;
  let validator: string;

  // On a new machine the validator is fetched and built here first (Maven downloads HAPI FHIR), and
  // its first run loads the FHIR packages: minutes, not the project's default 60 s.
  beforeAll(() => {
    validator = execFileSync('infra/fhir-validator.sh', { encoding: 'utf8' }).trim();
  }, 600_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhir-export-'));
    s = await startQueryStack(`fhir-${runId}`, { query: 18550, projector: 18551 });
    const p = SUBJECTS.severalPurposes,
      w = SUBJECTS.withdrawn;
    expect(NHS_ACADEMIC_RESEARCH.purposes.length).toBeGreaterThan(1);
    await s.append([
      consentGiven(`fh-${runId}-p`, p),
      consentEffective(`fh-${runId}-p`, p),
      consentGiven(`fh-${runId}-w`, w),
      consentEffective(`fh-${runId}-w`, w),
      ledgerEvent('consent.withdrawn', `fh-${runId}-w.withdrawn`, w, {
        scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
      }),
      consentGiven(`fh-${runId}-c`, SUBJECTS.coolingOff),
    ]);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each export validates with 0 errors', { timeout: 300_000 }, async () => {
    const auditor = await s.key('auditor', 'auditor:ico');
    const files: string[] = [];
    for (const [name, subject] of Object.entries(SUBJECTS)) {
      const res = await s.call(`/v1/subjects/${subject}/fhir`, auditor);
      expect(res.status).toBe(200);
      const bundle = (await res.json()) as { entry: unknown[] };
      expect(bundle.entry.length).toBeGreaterThan(0);
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(bundle));
      files.push(file);
    }
    const results = execFileSync(validator, files, { encoding: 'utf8', maxBuffer: 64 << 20 })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Validated);
    expect(results).toHaveLength(files.length);
    for (const r of results) {
      console.log(`${r.file}: ${r.errors} errors, ${r.warnings} warnings`);
      for (const m of r.messages.filter((m) => m.severity !== 'information'))
        console.log(`  ${m.severity} ${m.location}: ${m.message}`);
    }
    // Every Consent has a narrative (dom-6), which HAPI warned of before.
    expect(results.flatMap((r) => r.messages.filter((m) => m.message.includes('dom-6')))).toEqual([]);
    expect(results.flatMap((r) => r.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal'))).toEqual(
      [],
    );
  });
});
