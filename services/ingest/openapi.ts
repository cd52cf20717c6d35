// The ingest API's OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { INCOMING_SCHEMAS } from '../../contracts/consent/events.js';
import { EventIdSchema } from '../../contracts/consent/primitives.js';
import { PROBLEM_RESPONSES, SECURITY } from '../../adapters/http/openapiParts.js';
import { MAX_BATCH } from './routes.js';

const IncomingEvent = z
  .union(Object.values(INCOMING_SCHEMAS) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])
  .meta({
    id: 'IncomingEvent',
    description: 'A CloudEvent 1.0 as a hospital sends it (no `time`; `subject` or `nhsNumber`).',
  });

const Receipt = z
  .object({
    eventId: z.string(),
    subject: z.string().meta({ description: 'The pseudonymous subject id' }),
    ledger: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
    recordedAt: z.string(),
    hash: z.string().meta({ description: 'sha256 of the canonical ledger record' }),
  })
  .meta({ id: 'Receipt' });

const replayHeader = {
  'Idempotent-Replayed': {
    description: 'present (true) when the event id was already recorded; nothing new was written',
    schema: { type: 'string' as const },
  },
};

let cached: object | undefined;
export function ingestOpenApi(): object {
  cached ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'consent-ledger ingest API',
      version: '1.0.0',
      description:
        'Hospital and GP systems record consent, opt-out and withdrawal events. 202 only after Kafka acknowledged the write (acks=all).',
    },
    ...SECURITY,
    paths: {
      '/v1/events': {
        post: {
          summary: 'Record one event',
          operationId: 'recordEvent',
          requestBody: { required: true, content: { 'application/json': { schema: IncomingEvent } } },
          responses: {
            '202': {
              description: 'Durably recorded',
              headers: replayHeader,
              content: { 'application/json': { schema: Receipt } },
            },
            ...PROBLEM_RESPONSES,
          },
        },
      },
      '/v1/events:batch': {
        post: {
          summary: `Record up to ${MAX_BATCH} events, all or nothing`,
          operationId: 'recordEvents',
          description:
            'Every item is validated first; if any is bad nothing is written and every bad item is reported by index. ' +
            'If the ledger fails mid-write the answer is 503 and the whole batch may be retried: items already recorded are not written again.',
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
                'application/json': { schema: z.object({ receipts: z.array(Receipt), replayed: z.number().int() }) },
              },
            },
            ...PROBLEM_RESPONSES,
          },
        },
      },
      '/v1/receipts/{eventId}': {
        get: {
          summary: 'Consent receipt (ISO/IEC TS 27560 / Kantara shape) for the person',
          operationId: 'consentReceipt',
          requestParams: { path: z.object({ eventId: EventIdSchema }) },
          responses: {
            '200': {
              description: 'The receipt',
              content: { 'application/json': { schema: z.looseObject({}) } },
            },
            ...PROBLEM_RESPONSES,
          },
        },
      },
    },
  });
  return cached;
}
