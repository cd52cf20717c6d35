// The audit API's OpenAPI 3.1 document (read-only; every route is GET).
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { AUTHENTICATED, errors, serviceDocument } from '../../adapters/http/openapiParts.js';
import {
  AuditPublicKey,
  AuditReplay,
  AuditReport,
  AuditStateAsOf,
  AuditVerification,
  AuditWithdrawals,
} from './responses.js';
import { SubjectIdSchema } from '../../contracts/consent/primitives.js';
import { AsOfQuery, ReplayQuery, ReportQuery, SinceQuery } from './routes.js';

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});
const op = (
  summary: string,
  operationId: string,
  description: string,
  schema: z.ZodType,
  extra: { requestParams?: object; html?: boolean } = {},
) => ({
  get: {
    summary,
    operationId,
    description,
    tags: ['audit'],
    ...(extra.requestParams && { requestParams: extra.requestParams }),
    responses: {
      '200': extra.html
        ? {
            description: summary,
            content: {
              'application/json': { schema },
              'text/html': { schema: z.string().meta({ description: 'A self-contained HTML page' }) },
            },
          }
        : json(summary, schema),
      ...errors(...(extra.requestParams ? (['invalid-request'] as const) : []), ...AUTHENTICATED),
    },
  },
});

let cached: object | undefined;
export function auditOpenApi(): object {
  cached ??= createDocument(
    serviceDocument({
      title: 'consent-ledger audit API',
      description:
        'Read-only audit endpoints for auditors and data guardians (auditor credential). Nothing here can ' +
        'write. One audit run at a time; others get 503 with Retry-After.',
      port: 8086,
      tags: [
        { name: 'audit', description: 'Verification, replay, state as of an instant, withdrawals, the report' },
        { name: 'keys', description: 'The public key auditors pin' },
      ],
      paths: {
        '/v1/audit/public-key': {
          get: {
            summary: 'The sealer public key this service trusts (public)',
            operationId: 'auditPublicKey',
            description: 'Public: pin this key, then verify checkpoints with it (audit verify --public-key).',
            tags: ['keys'],
            security: [],
            responses: { '200': json('keyId, algorithm, PEM', AuditPublicKey), ...errors('unsupported-media-type') },
          },
        },
        '/v1/audit/verify': op(
          'Verify the ledger against its signed checkpoints',
          'auditVerify',
          'Recomputes every checkpoint, checks signatures and the chain; names the first bad partition/offset ' +
            'per partition (modified, deleted, inserted, reordered, forged-checkpoint, …).',
          AuditVerification,
        ),
        '/v1/audit/replay': op(
          'Rebuild every subject with the shared fold and compare with the projection',
          'auditReplay',
          'Lists every difference (missing, extra, differs, projection-behind). Compares the fingerprint the ' +
            'projector stored with each state; deep=true reads every stored state instead, which also finds a ' +
            'document changed behind the projector (slower: the store decodes every document).',
          AuditReplay,
          { requestParams: { query: ReplayQuery } },
        ),
        '/v1/audit/subjects/{subject}/state': op(
          'What the system knew about a subject at an instant',
          'auditStateAsOf',
          'The state from the events recorded up to asOf, and those events.',
          AuditStateAsOf,
          { requestParams: { path: z.object({ subject: SubjectIdSchema }), query: AsOfQuery } },
        ),
        '/v1/audit/withdrawals': op(
          'Every withdrawal, its holders and their status; every release after refusal',
          'auditWithdrawals',
          'awaiting-acknowledgement / overdue / acknowledged per holder; determining-holders / propagating / ' +
            'overdue / completed per withdrawal (contracts lifecycle, judged at the time of the request). ' +
            'releasesAfterRefusal: ' +
            'each release recorded after a withdrawal or national opt-out that covered it, the releasing organisation ' +
            '(releasedBy), and its own notice (not-sent / sent / overdue / acknowledged).',
          AuditWithdrawals,
          { requestParams: { query: SinceQuery } },
        ),
        '/v1/audit/report': op(
          'The audit report (JSON, or self-contained HTML with format=html)',
          'auditReport',
          'Verification, counts by event type over time, opt-out and withdrawal rates, propagation times, releases after refusal, overdue holders.',
          AuditReport,
          { requestParams: { query: ReportQuery }, html: true },
        ),
      },
    }),
  );
  return cached;
}
