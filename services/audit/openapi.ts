// The audit API's OpenAPI 3.1 document (read-only; every route is GET).
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { PROBLEM_RESPONSES, SECURITY } from '../../adapters/http/openapiParts.js';
import { SubjectIdSchema } from '../../contracts/consent/primitives.js';
import { AsOfQuery, ReportQuery, SinceQuery } from './routes.js';

const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: z.looseObject({}) } },
});
const op = (summary: string, operationId: string, description: string, extra: object = {}) => ({
  get: { summary, operationId, description, responses: { '200': json(summary), ...PROBLEM_RESPONSES }, ...extra },
});

let cached: object | undefined;
export function auditOpenApi(): object {
  cached ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'consent-ledger audit API',
      version: '1.0.0',
      description:
        'Read-only audit endpoints for auditors and data guardians (auditor credential). Nothing here can write. One ' +
        'audit run at a time; others get 503 with Retry-After.',
    },
    ...SECURITY,
    paths: {
      '/v1/audit/public-key': {
        get: {
          summary: 'The sealer public key this service trusts (public)',
          operationId: 'auditPublicKey',
          security: [],
          responses: { '200': json('keyId, algorithm, PEM') },
        },
      },
      '/v1/audit/verify': op(
        'Verify the ledger against its signed checkpoints',
        'auditVerify',
        'Recomputes every checkpoint, checks signatures and the chain; names the first bad partition/offset per ' +
          'partition (modified, deleted, inserted, reordered, forged-checkpoint, …).',
      ),
      '/v1/audit/replay': op(
        'Rebuild every subject with the shared fold and compare with the projection',
        'auditReplay',
        'Lists every difference (missing, extra, differs, projection-behind).',
      ),
      '/v1/audit/subjects/{subject}/state': op(
        'What the system knew about a subject at an instant',
        'auditStateAsOf',
        'The state from the events recorded up to asOf, and those events.',
        { requestParams: { path: z.object({ subject: SubjectIdSchema }), query: AsOfQuery } },
      ),
      '/v1/audit/withdrawals': op(
        'Every withdrawal, its holders and their status; every release after refusal',
        'auditWithdrawals',
        'awaiting-acknowledgement / overdue / acknowledged per holder; determining-holders / propagating / overdue / ' +
          'completed per withdrawal (contracts lifecycle, judged at the time of the request). releasesAfterRefusal: ' +
          'each release recorded after a withdrawal or national opt-out that covered it, the releasing organisation ' +
          '(releasedBy), and its own notice (not-sent / sent / overdue / acknowledged).',
        { requestParams: { query: SinceQuery } },
      ),
      '/v1/audit/report': op(
        'The audit report (JSON, or self-contained HTML with format=html)',
        'auditReport',
        'Verification, counts by event type over time, opt-out and withdrawal rates, propagation times, releases after refusal, overdue holders.',
        { requestParams: { query: ReportQuery } },
      ),
    },
  });
  return cached;
}
