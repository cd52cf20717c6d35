// Pieces every service's OpenAPI 3.1 document shares: the problem-details response and the auth scheme.
import * as z from 'zod';
import { statusOf, type ProblemCode } from './problems.js';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          pointer: z.string().meta({ description: 'JSON Pointer (as a URI fragment) to the bad field' }),
          detail: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

// Keyed by the status problems.ts gives each code, so the documented statuses cannot drift from the answered ones.
const documented = (code: ProblemCode, description: string) => [String(statusOf(code)), problem(description)] as const;

export const PROBLEM_RESPONSES = {
  ...Object.fromEntries([
    documented('invalid-request', 'Malformed request (not JSON, wrong shape)'),
    documented('unauthenticated', 'No valid credential'),
    documented('forbidden', 'The credential may not do this'),
    documented('not-found', 'Not found (or not visible to this caller)'),
    documented('conflict', 'The event id was already used for different content'),
    documented('payload-too-large', 'Body too large'),
    documented('unsupported-media-type', 'Body is not JSON'),
    documented('unprocessable', 'Content not acceptable; each bad field is named'),
  ]),
  [String(statusOf('unavailable'))]: {
    ...problem('A server this depends on is down; retry after Retry-After seconds'),
    headers: { 'Retry-After': { schema: { type: 'integer' as const } } },
  },
};

export const SECURITY = {
  components: {
    securitySchemes: {
      apiKey: {
        type: 'http' as const,
        scheme: 'bearer',
        description: 'cl.<keyId>.<secret>, issued with `npm run credentials -- create`',
      },
    },
  },
  security: [{ apiKey: [] }],
};
