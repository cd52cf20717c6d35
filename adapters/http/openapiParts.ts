// Pieces every service's OpenAPI 3.1 document shares: the problem-details response and the auth scheme.
import * as z from 'zod';

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

export const PROBLEM_RESPONSES = {
  '400': problem('Malformed request (not JSON, wrong shape)'),
  '401': problem('No valid credential'),
  '403': problem('The credential may not do this'),
  '404': problem('Not found (or not visible to this caller)'),
  '409': problem('The event id was already used for different content'),
  '413': problem('Body too large'),
  '415': problem('Body is not JSON'),
  '422': problem('Content not acceptable; each bad field is named'),
  '503': {
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
