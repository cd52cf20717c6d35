// Pieces every service's OpenAPI 3.1 document shares: the problem-details responses (each operation
// lists only the errors it can return), the auth scheme, the operational endpoints every service
// serves (/healthz, /readyz, /metrics, /openapi.json), servers, contact and licence, and the 405
// that every documented path answers for a method it does not serve.
import * as z from 'zod';
import type {
  ZodOpenApiObject,
  ZodOpenApiOperationObject,
  ZodOpenApiPathsObject,
  ZodOpenApiResponseObject,
} from 'zod-openapi';
import { statusOf, type ProblemCode } from './problems.js';

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'urn:consent-ledger:problem:<code>' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          pointer: z
            .string()
            .meta({ description: 'JSON Pointer, as a URI fragment (#/events/3/data/scope), to the bad field' }),
          detail: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const DESCRIPTIONS: Partial<Record<ProblemCode, string>> = {
  'invalid-request': 'Malformed request (not JSON, wrong shape, bad parameter); each bad field is named',
  unauthenticated: 'No valid credential',
  forbidden: 'The credential may not do this',
  'not-found': 'Not found (or not visible to this caller)',
  conflict: 'The id was already used for different content; nothing was written',
  'payload-too-large': 'Body too large',
  'unsupported-media-type': 'A body that is not JSON',
  unprocessable: 'Content not acceptable; each bad field is named',
  unavailable: 'A server this depends on is down or behind; retry after Retry-After seconds',
};

const problem = (code: ProblemCode) => ({
  description: DESCRIPTIONS[code] ?? code,
  content: { 'application/problem+json': { schema: ProblemSchema } },
  ...(code === 'unavailable' && {
    headers: {
      'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const } },
    },
  }),
});

/** The problem responses of exactly these codes, keyed by the status problems.ts gives each. */
export function errors(...codes: ProblemCode[]): Record<string, ReturnType<typeof problem>> {
  return Object.fromEntries(codes.map((c) => [String(statusOf(c)), problem(c)]));
}

/** What any authenticated /v1 route may answer besides its own errors. */
export const AUTHENTICATED: ProblemCode[] = ['unauthenticated', 'forbidden', 'unavailable'];
/** What a route with a JSON body may answer besides its own errors. */
export const JSON_BODY: ProblemCode[] = ['invalid-request', 'payload-too-large', 'unsupported-media-type'];

export const SECURITY = {
  components: {
    securitySchemes: {
      apiKey: {
        type: 'http' as const,
        scheme: 'bearer',
        description:
          'cl.<keyId>.<secret>, issued per organisation, data user or auditor with `make credential ROLE=… PRINCIPAL=…`',
      },
    },
  },
  security: [{ apiKey: [] }],
};

const OPS_TAG = 'operations';

const text = (description: string, type: string, schema: z.ZodType): ZodOpenApiResponseObject => ({
  description,
  content: { [type]: { schema } },
});

function opsGet(
  summary: string,
  operationId: string,
  description: string,
  ok: ZodOpenApiResponseObject,
  more: Record<string, ZodOpenApiResponseObject> = {},
) {
  return {
    get: {
      summary,
      operationId,
      description,
      tags: [OPS_TAG],
      security: [],
      responses: { '200': ok, ...errors('unsupported-media-type'), ...more },
    } satisfies ZodOpenApiOperationObject,
  };
}

/** The endpoints every service serves (adapters/http/app.ts). */
export function operationalPaths(o: { asyncapi?: boolean } = {}): ZodOpenApiPathsObject {
  return {
    '/healthz': opsGet(
      'Liveness',
      'healthz',
      'The process is up (no dependency is asked).',
      text('Up', 'application/json', z.object({ status: z.literal('ok') })),
    ),
    '/readyz': opsGet(
      'Readiness',
      'readyz',
      'Every dependency check passed (Kafka, the projection store, …); otherwise 503 naming the checks.',
      text(
        'Ready',
        'application/json',
        z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.boolean()) }),
      ),
      errors('unavailable'),
    ),
    '/metrics': opsGet(
      'Prometheus metrics',
      'metrics',
      "This service's own metric families, in the Prometheus text exposition format.",
      text('The metrics', 'text/plain', z.string()),
    ),
    '/openapi.json': opsGet(
      'This OpenAPI document',
      'openapi',
      'The OpenAPI 3.1 description of this service, generated from the zod schemas that validate its requests.',
      text('The document', 'application/json', z.record(z.string(), z.unknown())),
    ),
    ...(o.asyncapi && {
      '/asyncapi.json': opsGet(
        'The AsyncAPI document of the Kafka topics',
        'asyncapi',
        'AsyncAPI 3 for every topic: channels, messages, headers, payload schemas, and which service sends or receives.',
        text('The document', 'application/json', z.record(z.string(), z.unknown())),
      ),
    }),
  };
}

const METHOD_NOT_ALLOWED =
  'Any method a path does not list here is answered 405 (application/problem+json) with an Allow header naming the methods it serves; an unknown path is 404.';

/** The document header and the parts every service shares, around its own paths and tags. */
export function serviceDocument(o: {
  title: string;
  description: string;
  port: number;
  tags: { name: string; description: string }[];
  paths: ZodOpenApiPathsObject;
  asyncapi?: boolean;
}): ZodOpenApiObject {
  const paths: ZodOpenApiPathsObject = { ...o.paths, ...operationalPaths({ asyncapi: o.asyncapi }) };
  for (const item of Object.values(paths)) {
    const methods = ['get', 'put', 'post', 'delete', 'patch'].filter((m) => m in item).map((m) => m.toUpperCase());
    item.description = `${methods.join(', ')}; other methods: 405 with Allow.`;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: o.title,
      version: '1.0.0',
      description: `${o.description}\n\nErrors are RFC 9457 problem details naming each bad field. ${METHOD_NOT_ALLOWED}`,
      contact: { name: 'consent-ledger maintainers' },
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: [{ url: `http://127.0.0.1:${o.port}`, description: 'Local stack (`make up`); the port is configurable' }],
    tags: [...o.tags, { name: OPS_TAG, description: 'Health, readiness, metrics and the interface documents' }],
    ...SECURITY,
    paths,
  };
}
