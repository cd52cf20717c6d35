// The ingest API's OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { INCOMING_SCHEMAS } from '../../contracts/consent/events.js';
import { EventIdSchema } from '../../contracts/consent/primitives.js';
import { AUTHENTICATED, JSON_BODY, errors, serviceDocument } from '../../adapters/http/openapiParts.js';
import { ConsentReceipt } from './consentReceipt.js';
import { MAX_BATCH } from './routes.js';

const IncomingEvent = z
  .union(Object.values(INCOMING_SCHEMAS) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])
  .meta({
    id: 'IncomingEvent',
    description: 'A CloudEvent 1.0 as a hospital sends it (no `time`; `subject` or `nhsNumber`).',
  });

export const Receipt = z
  .object({
    eventId: z.string(),
    subject: z.string().meta({ description: 'The pseudonymous subject id' }),
    ledger: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
    recordedAt: z.string(),
    hash: z.string().meta({ description: 'sha256 of the canonical ledger record' }),
  })
  .meta({ id: 'Receipt', description: 'Where the event went on the ledger: the ingest receipt' });
export const ReceiptBatch = z
  .object({ receipts: z.array(Receipt), replayed: z.number().int().meta({ description: 'Items already recorded' }) })
  .meta({ id: 'ReceiptBatch' });

const replayHeader = {
  'Idempotent-Replayed': {
    description: 'present (true) when the event id was already recorded; nothing new was written',
    schema: { type: 'string' as const },
  },
};

let cached: object | undefined;
export function ingestOpenApi(): object {
  cached ??= createDocument(
    serviceDocument({
      title: 'consent-ledger ingest API',
      description:
        'Hospital and GP systems record consent, opt-out and withdrawal events. 202 only after Kafka acknowledged the write (acks=all).',
      port: 8080,
      asyncapi: true,
      tags: [
        { name: 'events', description: 'Recording consent, opt-out and withdrawal events (hospital credential)' },
        { name: 'receipts', description: 'Consent receipts for the person' },
      ],
      paths: {
        '/v1/events': {
          post: {
            summary: 'Record one event',
            operationId: 'recordEvent',
            tags: ['events'],
            description:
              "Role: hospital; `source` must be the caller's own organisation. The same event id again returns the same receipt (Idempotent-Replayed: true) and writes nothing; the same id with other content is 409.",
            requestBody: { required: true, content: { 'application/json': { schema: IncomingEvent } } },
            responses: {
              '202': {
                description: 'Durably recorded',
                headers: replayHeader,
                content: { 'application/json': { schema: Receipt } },
              },
              ...errors(...JSON_BODY, ...AUTHENTICATED, 'conflict', 'unprocessable'),
            },
          },
        },
        '/v1/events:batch': {
          post: {
            summary: `Record up to ${MAX_BATCH} events, all or nothing`,
            operationId: 'recordEvents',
            tags: ['events'],
            description:
              'Every item is validated first; if any is bad nothing is written and every bad item is reported by index. If the ledger fails mid-write the answer is 503 and the whole batch may be retried: items already recorded are not written again.',
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: z.object({ events: z.array(IncomingEvent).min(1).max(MAX_BATCH) }) },
              },
            },
            responses: {
              '202': {
                description: 'All recorded',
                content: {
                  'application/json': { schema: ReceiptBatch },
                },
              },
              ...errors(...JSON_BODY, ...AUTHENTICATED, 'conflict', 'unprocessable'),
            },
          },
        },
        '/v1/receipts/{eventId}': {
          get: {
            summary: 'Consent receipt for the person (Kantara Consent Receipt v1.1, ISO/IEC TS 27560 elements mapped)',
            operationId: 'consentReceipt',
            tags: ['receipts'],
            description:
              'Roles: the hospital that recorded the event, or an auditor; anyone else gets 404 (not even existence is revealed).',
            requestParams: { path: z.object({ eventId: EventIdSchema }) },
            responses: {
              '200': {
                description: 'The receipt',
                content: { 'application/json': { schema: ConsentReceipt } },
              },
              ...errors('invalid-request', 'not-found', ...AUTHENTICATED),
            },
          },
        },
      },
    }),
  );
  return cached;
}
