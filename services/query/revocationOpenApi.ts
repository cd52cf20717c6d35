// OpenAPI 3.1 paths of the revocation routes (revocationRoutes.ts), merged into the query API's document.
import { HOLDER_PROGRESS, WITHDRAWAL_PROGRESS } from '../../contracts/consent/lifecycle.js';
import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { AUTHENTICATED, JSON_BODY, errors } from '../../adapters/http/openapiParts.js';
import { RevocationNoticeSchema } from '../../contracts/topicEvents.js';
import { DataUserIdSchema, EventIdSchema } from '../../contracts/consent/primitives.js';
import { MAX_PAGE } from './revocationRoutes.js';
import { AttestationSchema } from '../../contracts/consent/attestation.js';
import { AcknowledgementBodySchema } from './acknowledgement.js';

const attestation = AttestationSchema.nullable().meta({
  description: 'What the data user attested when acknowledging; null: acknowledged without attestation (or not yet).',
});

const ts = z.string().meta({ format: 'date-time' });
const nullableTs = ts.nullable();

export { RevocationNoticeSchema };

export const WithdrawalStatus = z
  .object({
    withdrawalId: z.string(),
    subject: z.string().meta({ description: 'Pseudonymous subject id' }),
    withdrawnAt: ts,
    status: z.enum(WITHDRAWAL_PROGRESS),
    completedAt: nullableTs,
    holders: z.array(
      z.object({
        dataUserId: z.string(),
        status: z.enum(HOLDER_PROGRESS),
        noticeId: z.string().nullable(),
        sentAt: nullableTs,
        dueBy: nullableTs,
        webhookDeliveredAt: nullableTs,
        deliveryAttempts: z.number().int(),
        acknowledgedAt: nullableTs,
        overdue: z.boolean(),
        attestation,
      }),
    ),
  })
  .meta({ id: 'WithdrawalStatus', description: 'A withdrawal and where its revocation notices stand, per holder' });

const json = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });
// Parameters carry the patterns the routes enforce, so a client (or a fuzzer) sees what is accepted.
const noticePath = { path: z.object({ noticeId: EventIdSchema }) };

export const revocationPaths: ZodOpenApiPathsObject = {
  '/v1/data-users/{id}/webhook': {
    put: {
      summary: "Register (or replace) the data user's revocation webhook",
      operationId: 'registerWebhook',
      tags: ['revocations'],
      description:
        'Roles: admin, or the data user itself. Returns the signing secret ONCE (re-register to rotate). Deliveries: ' +
        'POST JSON with `Consent-Ledger-Signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))` — the HMAC ' +
        'key is the returned `secret` string exactly as given (its UTF-8 bytes, not decoded), `<body>` the raw ' +
        'request body — and `Idempotency-Key: <noticeId>`; anything but 2xx is retried with exponential ' +
        'back-off, indefinitely. A delivery never counts as an acknowledgement.',
      requestParams: { path: z.object({ id: DataUserIdSchema }) },
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: z.strictObject({
              url: z
                .string()
                .regex(/^https?:\/\//)
                .max(2000)
                .meta({ format: 'uri' }),
            }),
          },
        },
      },
      responses: {
        '200': json(
          'Registered',
          z.object({
            dataUserId: z.string(),
            url: z.string(),
            secret: z.string().meta({
              description: 'The signing secret, shown once: the HMAC-SHA256 key as it stands (do not decode it)',
            }),
            signature: z.record(z.string(), z.string()).meta({ description: 'How deliveries are signed' }),
          }),
        ),
        ...errors(...JSON_BODY, 'unprocessable', 'not-found', ...AUTHENTICATED),
      },
    },
  },
  '/v1/revocations': {
    get: {
      summary: "The calling data user's notices not yet acknowledged (pull)",
      operationId: 'pendingRevocations',
      tags: ['revocations'],
      description:
        'Role: dataUser. Notices are also pushed as signed webhooks and published on consent.revocations.v1 (CloudEvents, keyed by data user).',
      requestParams: {
        query: z.object({ cursor: EventIdSchema.optional(), limit: z.number().int().min(1).max(MAX_PAGE).optional() }),
      },
      responses: {
        '200': json(
          'One page; pass nextCursor for the next',
          z.object({ items: z.array(RevocationNoticeSchema), nextCursor: z.string().nullable() }),
        ),
        ...errors('invalid-request', ...AUTHENTICATED),
      },
    },
  },
  '/v1/revocations/{noticeId}': {
    get: {
      summary: "One of the calling data user's notices with its status",
      operationId: 'revocationNotice',
      tags: ['revocations'],
      description: "Role: dataUser; another data user's notice is 404.",
      requestParams: noticePath,
      responses: {
        '200': json(
          'The notice',
          RevocationNoticeSchema.extend({
            acknowledgementReceivedAt: nullableTs,
            acknowledgedAt: nullableTs,
            overdue: z.boolean(),
            status: z.enum(HOLDER_PROGRESS),
            attestation,
          }),
        ),
        ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
      },
    },
  },
  '/v1/revocations/{noticeId}/acknowledgement': {
    post: {
      summary: "Acknowledge deletion (the calling data user's own notice only; others 404)",
      operationId: 'acknowledgeRevocation',
      tags: ['revocations'],
      requestParams: noticePath,
      description:
        'Idempotent. 202: kept and passed to the propagation, which writes revocation.acknowledged (acknowledgedAt) with the attestation. ' +
        'The body attests what was done: deleted, derived-data-deleted, or retained under a named legal basis (e.g. a trained model ' +
        'that cannot unlearn), when, by whom (role) and optionally the SHA-256 of the evidence. Without a body the acknowledgement is ' +
        'recorded as acknowledged without attestation. A repeat with another attestation than the first is 409 (the first stands). ' +
        '503 when the workflow service is down: retry.',
      requestBody: { required: false, content: { 'application/json': { schema: AcknowledgementBodySchema } } },
      responses: {
        '202': json(
          'Accepted',
          z.object({ noticeId: z.string(), acknowledgementReceivedAt: ts, acknowledgedAt: nullableTs, attestation }),
        ),
        ...errors('not-found', 'conflict', 'unprocessable', ...JSON_BODY, ...AUTHENTICATED),
      },
    },
  },
  '/v1/withdrawals/{eventId}': {
    get: {
      summary: 'Propagation status of a withdrawal, per holder',
      operationId: 'withdrawalStatus',
      tags: ['withdrawals'],
      description:
        'Roles: auditor, admin, and the hospital that recorded the withdrawal. From the moment the withdrawal is on the ledger: ' +
        '`determining-holders` (holders empty), then `propagating` (or `overdue` once a holder is past its due time), then `completed`.',
      requestParams: { path: z.object({ eventId: EventIdSchema }) },
      responses: {
        '200': json('Status', WithdrawalStatus),
        ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
      },
    },
  },
};
