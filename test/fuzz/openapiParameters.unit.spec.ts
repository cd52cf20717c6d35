// Found by fuzzing (schemathesis' positive_data_acceptance, ST202): path parameters and the revocations
// cursor were documented as any string while the routes answer 400 to anything but their pattern, and
// the webhook body allowed extra keys the route refuses (422). The documents must state what the routes
// accept: every path parameter (and every string query parameter) carries a pattern, format or enum.
import { describe, expect, it } from 'vitest';
import { ingestOpenApi } from '../../services/ingest/openapi.js';
import { queryOpenApi } from '../../services/query/openapi.js';
import { auditOpenApi } from '../../services/audit/openapi.js';

interface Doc {
  paths: Record<
    string,
    Record<string, { parameters?: { in: string; name: string; schema?: Record<string, unknown> }[]; requestBody?: any }>
  >;
}
const docs = { ingest: ingestOpenApi, query: queryOpenApi, audit: auditOpenApi } as unknown as Record<
  string,
  Doc | (() => Doc)
>;
const resolve = (d: Doc | (() => Doc)) => (typeof d === 'function' ? d() : d);
const constrained = (s: Record<string, unknown> = {}) =>
  s.type !== 'string' || s.pattern !== undefined || s.format !== undefined || s.enum !== undefined;

describe('OpenAPI documents state what the routes accept', () => {
  for (const [service, d] of Object.entries(docs)) {
    it(`${service}: every path and string query parameter is constrained`, () => {
      const loose: string[] = [];
      for (const [path, ops] of Object.entries(resolve(d).paths)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const p of op.parameters ?? []) {
            if ((p.in === 'path' || p.in === 'query') && !constrained(p.schema))
              loose.push(`${method.toUpperCase()} ${path} ${p.in} ${p.name}`);
          }
        }
      }
      expect(loose).toEqual([]);
    });
  }

  it('query: the webhook registration body refuses unknown keys and non-http(s) URLs, as the route does', () => {
    const op = resolve(docs.query!).paths['/v1/data-users/{id}/webhook']!.put!;
    const schema = op.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.url.pattern).toBe('^https?:\\/\\/');
    expect(op.parameters!.find((p) => p.name === 'id')!.schema!.pattern).toBeDefined();
  });
});
