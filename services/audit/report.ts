// audit report: verification + ledger summary as JSON, and the same rendered as self-contained HTML.
import type { KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from '../../adapters/kafka.js';
import { keyIdOf } from '../../contracts/checkpoint.js';
import { verifyLedger, type VerifyReport } from './verify.js';
import { summariseLedger, type LedgerSummary } from './summary.js';
import { renderReportHtml } from './reportHtml.js';
import type { ScanOptions } from '../../ledger/scan.js';
import type { PolicySet } from '../../contracts/consent/policy.js';

export interface AuditReport {
  generatedAt: string;
  trustedKeyId: string;
  verification: VerifyReport;
  summary: LedgerSummary;
}

export interface ReportOptions extends ScanOptions {
  ledgerTopic: string;
  checkpointsTopic: string;
  sealedTopic?: string;
  trustedKey: KeyObject;
  since?: string;
  /** Every policy version the deployment applied (CONSENT_POLICIES). */
  policies: PolicySet;
  maxEventsInMemory?: number;
  now?: () => Date;
}

export async function buildReport(kafka: Kafka, o: ReportOptions): Promise<AuditReport> {
  const generatedAt = (o.now?.() ?? new Date()).toISOString();
  const verification = await verifyLedger(kafka, o);
  const summary = await summariseLedger(kafka, { ...o, ...(o.since ? { since: o.since } : {}), now: generatedAt });
  return {
    generatedAt,
    trustedKeyId: keyIdOf(o.trustedKey),
    verification,
    summary,
  };
}

/** Writes report.json and report.html into `dir`; returns their paths. */
export function writeReport(report: AuditReport, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}
